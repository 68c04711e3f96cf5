from __future__ import annotations

import math

import numpy as np

from recommender.explain import explanation, recommended_track, spoken_reason
from recommender.pool import MOOD_SOURCE, TrackRow

SAD = np.array([0.0, 1.0, 0.0, 0.0])  # the target, TRACK_MOODS order
ROW = TrackRow(
    id=7,
    spotify_id="tr-7",
    name="Rainy Window",
    album_name="Grey Songs",
    duration_ms=200_000,
    explicit=False,
    popularity=40,
    genre="indie",
    subgenre="",
    valence=0.12,
    energy=0.2,
    acousticness=0.9,
    profile_valence=None,
    profile_energy=None,
)


def test_it_says_where_a_track_came_from_with_its_first_known_source():
    assert explanation(reason="soft", sources=["unknown", "popular", "artists"], parts={}) == (
        "soft · popular right now"
    )
    assert (
        explanation(reason="soft", sources=[MOOD_SOURCE], parts={}) == "soft · a catalog find for this mood"
    )
    assert explanation(reason="soft", sources=[], parts={}) == "soft"


def test_it_names_the_strongest_personal_tie():
    lately = explanation(reason="r", sources=[], parts={"recent": 0.5, "top": 0.4})
    favourites = explanation(reason="r", sources=[], parts={"recent": 0.2, "top": 0.5})
    weak = explanation(reason="r", sources=[], parts={"recent": 0.2, "top": 0.2})

    assert lately == "r · close to what you've played lately"
    assert favourites == "r · close to your favourites"
    assert weak == "r"


def test_it_mentions_asked_for_tastes_and_liked_tracks():
    text = explanation(reason="r", sources=["artists"], parts={"preference": 0.5, "feedback": 0.1})

    assert text == "r · from artists you listen to · matches what you asked for · you liked similar tracks"


def test_a_card_carries_the_track_rounded_parts_and_unknown_affect_as_none():
    card = recommended_track(
        ROW,
        [(1, "Nora Vale"), (2, "Luma")],
        score=1.23456,
        parts={"emotion": 1.234567, "top": 0.5},
        sources=["artists"],
        valence=0.12,
        energy=math.nan,
        moods=np.array([0.05, 0.82, 0.1, 0.03]),
        target=SAD,
        lift=False,
    )

    assert (card.track_id, card.name, card.album, card.artists) == (
        7,
        "Rainy Window",
        "Grey Songs",
        ["Nora Vale", "Luma"],
    )
    assert card.parts == {"emotion": 1.2346, "top": 0.5}
    assert (card.valence, card.energy, card.lifted) == (0.12, None, False)
    assert (card.mood, card.mood_confidence) == ("sad", 0.82)
    assert card.reason.startswith("Sad ")
    assert "— to stay with a low mood" in card.reason
    assert "from artists you listen to" in card.reason and "close to your favourites" in card.reason


def test_an_unsure_mood_is_said_as_leaning_and_an_unknown_one_not_at_all():
    leaning = recommended_track(
        ROW, [], score=1.0, parts={}, sources=[], valence=0.1, energy=0.2,
        moods=np.array([0.1, 0.2, 0.45, 0.25]), target=SAD, lift=False,
    )  # fmt: skip
    unknown = recommended_track(
        ROW, [], score=1.0, parts={}, sources=[], valence=0.1, energy=0.2,
        moods=np.full(4, np.nan), target=SAD, lift=False,
    )  # fmt: skip

    assert leaning.reason.startswith("Leaning calm") and leaning.mood == "calm"
    assert unknown.mood == "" and unknown.mood_confidence is None
    assert "calm" not in unknown.reason and "close to your words" in unknown.reason


def test_a_lifting_card_says_it_is_there_to_lift_the_mood():
    card = recommended_track(
        ROW, [], score=1.0, parts={}, sources=[], valence=0.12, energy=0.2,
        moods=np.array([0.7, 0.1, 0.1, 0.1]), target=SAD, lift=True,
    )  # fmt: skip

    assert card.lifted
    assert card.reason.endswith("— to lift your mood")


def test_a_spoken_reason_is_two_sentences_from_the_real_parts_and_agrees_with_the_card():
    parts = {"emotion": 0.4, "fit": 2.0, "recent": 0.5, "top": 0.55, "popularity": 0.1}
    card = explanation(reason="Calm acoustic folk — to help you unwind", sources=[], parts=parts)
    said = spoken_reason(described="“Holocene” by Bon Iver", reason=card, mood="calm", parts=parts)
    assert "played lately" in card and "playing lately" in said  # close to both histories: the card's word
    assert said.startswith("I picked “Holocene” by Bon Iver because it's calm acoustic folk")
    assert said.count(". ") == 1 and "(about 14% of its score)" in said
    # A pick no history carries says only why it fits the mood.
    alone = spoken_reason(
        described="“X” by Y", reason="Calm track — to help you unwind", mood="calm", parts={"fit": 3.0}
    )
    assert alone == "I picked “X” by Y because it's calm track — to help you unwind."
