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
