from __future__ import annotations

import pytest

from mood import emotion_model, encoder, perception
from mood.emotion_model import EmotionModelUnavailable, emotion_text, load_head, read_head
from mood.encoder import embed_recent
from mood.labels import LABELS, MOOD_DISPLAY, MOOD_NAMES, mood_display, mood_named
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
    alone = mood_from_text("still the same")
    after_sadness = mood_from_text("still the same", context=["I'm heartbroken and lonely"])

    assert alone.label == "neutral"
    # Vague enough that it stays neutral, but the sad turn before it pulls it down.
    assert after_sadness.valence < alone.valence - 0.05
    assert mood_from_text("still feel it", context=["I'm heartbroken and lonely"]).label == "sadness"


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
    party = listening_target(mood_from_text("let's dance"), "let's dance")
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


# --- Everyday talk, emoji and slang --------------------------------------------------------------

# Written for this test (not from any corpus): the kind of line a listener types between moods.
SMALL_TALK = [
    "how was your weekend?",
    "see you tomorrow",
    "ok",
    "what time is it",
    "sure, sounds good",
    "I'm heading home now",
    "did you eat yet?",
    "let me check my calendar",
    "we're meeting at the station at six",
    "thanks, got it",
    "my sister is visiting on friday",
    "I just got back from the shop",
    "can you repeat that",
    "alright, next one",
    "it's raining a bit outside",
    "I'll call you later",
]


# Written after the neutral rules and the calibration's own everyday lines, to check they carry over.
MORE_SMALL_TALK = [
    "where are you right now?",
    "I'll be there in ten minutes",
    "cool, thanks",
    "what are you up to this evening?",
    "bye, talk soon",
    "do you want to grab lunch?",
    "the meeting got moved to three",
    "how's it going?",
    "yeah that works for me",
    "I'm at the office",
    "is the shop open on sunday?",
    "okay, noted",
]
NEGATIVE = {"anger", "disgust", "fear", "sadness"}


def test_small_talk_reads_as_neutral_and_never_as_a_low_mood():
    moods = {text: mood_from_text(text) for text in SMALL_TALK + MORE_SMALL_TALK}

    neutral = [text for text, mood in moods.items() if mood.label == "neutral"]
    # 25 of 28 today: "did you eat yet?" and "is the shop open on sunday?" still read as surprise
    # (MELD's questions), "cool, thanks" as joy (GoEmotions' gratitude).
    assert len(neutral) >= 25, {text: mood.label for text, mood in moods.items() if mood.label != "neutral"}
    assert all(
        mood_from_text(text).label == "neutral" for text in ("ok", "see you tomorrow", "what time is it")
    )
    assert not [text for text, mood in moods.items() if mood.label in NEGATIVE]
    assert all(moods[text].confidence <= 0.3 for text in neutral)


@pytest.mark.parametrize(
    ("text", "labels"),
    [
        ("😢😢😢", {"sadness"}),
        ("😭", {"sadness"}),
        ("lol this slaps", {"joy"}),
        ("😂😂😂", {"joy"}),
        ("omg 😂😂", {"joy", "surprise"}),
        ("😡", {"anger"}),
        ("ugh I'm so done", {"anger", "sadness", "disgust"}),
        ("I'm stressed", {"fear"}),
        ("ngl I'm kinda stressed rn", {"fear"}),
    ],
)
def test_emoji_and_slang_read_as_the_mood_they_carry(text, labels):
    assert mood_from_text(text).label in labels


def test_emoji_and_slang_become_words_before_the_model_reads_them():
    assert emotion_text("😢😢😢") == "crying"
    assert emotion_text("great news 🎉🎉!") == "great news celebrating !"
    assert emotion_text("lol this slaps") == "haha this is so good"
    assert emotion_text("LOL idk") == "haha I don't know"
    # Whole words only: "lollipop" and "bus" stay as they are.
    assert emotion_text("a lollipop on the bus") == "a lollipop on the bus"
    assert emotion_text("I’m  fine") == "I'm fine"


# --- What the listener is shown ------------------------------------------------------------------


def test_every_perceived_mood_has_words_a_listener_would_use():
    assert set(LABELS) <= set(MOOD_DISPLAY)
    assert mood_display("fear") == "anxious / stressed"
    assert mood_display("sadness") == "down / sad"
    assert all(mood_display(label) != label for label in LABELS if label != "neutral")
    # The names of the mood of music stay as tastes use them ("no more sad music").
    assert MOOD_NAMES["sadness"] == "sad" and mood_named("sad") == "sadness"


# --- The served model's costs ---------------------------------------------------------------------


def test_a_turn_encodes_only_the_new_message_its_context_was_read_before(monkeypatch):
    mood_from_text("I was up all night worrying about the interview (context test)")
    encoded: list[int] = []
    real = emotion_model.encode_ids

    def counting(ids, path=emotion_model.ENCODER_PATH):
        encoded.append(len(ids))
        return real(ids, path)

    monkeypatch.setattr(emotion_model, "encode_ids", counting)

    mood_from_text(
        "still can't sleep (context test)", ["I was up all night worrying about the interview (context test)"]
    )

    assert encoded == [1]


def test_reading_the_mood_leaves_the_messages_sentence_vector_ready_for_the_intent_step(monkeypatch):
    text = "play me something for a long drive (vector test)"
    mood_from_text(text)

    def must_not_run(texts, batch_size=32):
        raise AssertionError(f"embedded again: {texts}")

    monkeypatch.setattr(encoder, "embed_texts", must_not_run)
    assert embed_recent([text])[text].shape == (encoder.DIMENSIONS,)


def test_the_served_model_is_small_and_its_head_names_the_encoder_it_was_trained_with(tmp_path):
    head = load_head()

    assert emotion_model.ENCODER_PATH.stat().st_size <= 30 * 2**20
    assert head.metadata["encoder"] == emotion_model.ENCODER_PATH.name
    assert head.metadata["recipe"] == "text+last+earlier"
    other = tmp_path / "other.onnx"
    other.write_bytes(b"not the encoder")
    with pytest.raises(EmotionModelUnavailable, match="not the encoder"):
        read_head(emotion_model.WEIGHTS_PATH, encoder=other)
