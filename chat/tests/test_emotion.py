from __future__ import annotations

import pytest

from chat.agent.emotion import mood_from_text


@pytest.mark.parametrize(
    ("text", "label"),
    [
        ("I feel down today", "sadness"),
        ("I'm so happy, we won!", "joy"),
        ("I'm stressed about my exam", "fear"),
        ("this is making me furious", "anger"),
        ("what's the weather", "neutral"),
    ],
)
def test_it_reads_the_mood_of_plain_sentences(text, label):
    assert mood_from_text(text).label == label


def test_negation_flips_a_happy_word():
    mood = mood_from_text("I am not happy at all")
    assert mood.label == "sadness"
    assert mood.valence < 0


def test_earlier_turns_give_context_to_a_vague_message():
    assert mood_from_text("still feel it", context=["I'm heartbroken and lonely"]).label == "sadness"
    assert mood_from_text("still feel it").label == "neutral"


def test_calm_words_lower_the_arousal():
    assert mood_from_text("I'm sad, play something calm").arousal < mood_from_text("I'm sad").arousal


def test_a_calm_request_sets_a_calm_low_energy_target_even_when_stressed():
    from chat.agent.target import listening_target

    text = "I'm stressed, play something calm"
    target = listening_target(mood_from_text(text), text)
    assert target.label == "calm"
    assert target.arousal <= -0.6
    assert target.valence >= 0.0


def test_stress_without_a_request_is_met_gently_and_a_party_request_raises_energy():
    from chat.agent.target import listening_target

    stressed = listening_target(mood_from_text("I'm so stressed about work"), "I'm so stressed about work")
    assert stressed.label == "calm" and stressed.arousal < 0
    party = listening_target(mood_from_text("let's party"), "let's party")
    assert party.label == "energize" and party.arousal >= 0.6
