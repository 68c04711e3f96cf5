from __future__ import annotations

import pytest

from mood import perception
from mood.emotion_model import EmotionModelUnavailable
from mood.perception import EmotionEstimate, mood_from_text, mood_from_text_lexicon
from mood.target import listening_target

NEUTRAL_LOW = EmotionEstimate("neutral", 0.0, 0.0, 0.3)


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
    assert mood_from_text("still the same", context=["I'm heartbroken and lonely"]).label == "sadness"
    assert mood_from_text("still the same").label == "neutral"


def test_calm_words_lower_the_arousal():
    assert mood_from_text("I'm sad, play something calm").arousal < mood_from_text("I'm sad").arousal


def test_a_calm_request_sets_a_calm_low_energy_target_even_when_stressed():
    text = "I'm stressed, play something calm"
    target = listening_target(mood_from_text(text), text)
    assert target.label == "calm"
    assert target.arousal <= -0.6
    assert target.valence >= 0.0


def test_stress_without_a_request_is_met_gently_and_a_party_request_raises_energy():
    stressed = listening_target(mood_from_text("I'm so stressed about work"), "I'm so stressed about work")
    assert stressed.label == "calm" and stressed.arousal < 0
    party = listening_target(mood_from_text("let's party"), "let's party")
    assert party.label == "energize" and party.arousal >= 0.6


# --- The served detector with the committed weights ------------------------------------------------


@pytest.mark.parametrize(
    ("text", "label"),
    [
        ("I'm stressed", "fear"),
        ("I'm so happy today", "joy"),
        ("play some jazz", "neutral"),
        ("put on something by Miles Davis", "neutral"),
        ("I miss her so much, I can't stop crying", "sadness"),
        ("ugh, that smell is disgusting", "disgust"),
        ("wait, what? I did not see that coming!", "surprise"),
        ("I'm so angry at my landlord", "anger"),
    ],
)
def test_the_trained_detector_reads_explicit_moods_and_plain_requests(text, label):
    assert mood_from_text(text).label == label


@pytest.mark.parametrize(
    "text", ["I'm not sad", "I'm not sad at all, just tired", "I don't feel sad anymore"]
)
def test_a_negated_sad_word_does_not_read_as_sadness(text):
    assert mood_from_text(text).label != "sadness"


def test_a_negated_happy_word_does_not_read_as_joy():
    mood = mood_from_text("not happy at all")
    assert mood.label != "joy"
    assert mood.valence < 0


def test_the_current_explicit_message_outweighs_the_context():
    sad_turns = ["I feel so down", "everything went wrong today"]
    assert mood_from_text("I'm so happy today", sad_turns).label == "joy"
    assert mood_from_text("I'm stressed about tomorrow", ["hey", "play some jazz"]).label == "fear"


def test_a_neutral_follow_up_keeps_some_of_the_previous_mood_instead_of_flipping():
    alone = mood_from_text("play some music")
    after_sadness = mood_from_text("play some music", ["I'm heartbroken and lonely"])
    assert after_sadness.valence < alone.valence
    assert mood_from_text("still feel it", ["I'm heartbroken and lonely"]).label == "sadness"


def test_estimates_stay_in_range_and_report_the_top_probability():
    for text in ("I'm thrilled!!!", "meh", "so furious", "play something calm"):
        mood = mood_from_text(text)
        assert -1.0 <= mood.valence <= 1.0
        assert -1.0 <= mood.arousal <= 1.0
        assert 1 / 7 <= mood.confidence <= 1.0
    assert mood_from_text("I'm so happy today").valence > 0.3


def test_without_the_model_it_falls_back_to_the_lexicon(monkeypatch):
    def unavailable(*args, **kwargs):
        raise EmotionModelUnavailable("no weights")

    monkeypatch.setattr(perception, "load_head", unavailable)

    assert mood_from_text("I feel down today") == mood_from_text_lexicon("I feel down today")


def test_the_lexicon_baseline_keeps_its_old_readings():
    assert mood_from_text_lexicon("I'm not happy").label == "sadness"
    assert mood_from_text_lexicon("what's the weather") == NEUTRAL_LOW


def test_a_neutral_reading_stays_unsure_so_a_corrected_mood_can_hold_over_it():
    assert mood_from_text("play some jazz").confidence <= 0.3
    assert mood_from_text("I'm so happy today").confidence > 0.6
