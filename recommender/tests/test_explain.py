from __future__ import annotations

import math

from recommender.explain import explanation, recommended_track
from recommender.pool import MOOD_SOURCE, TrackRow

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
        label="sadness",
        valence=0.12,
        energy=math.nan,
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
    assert "from artists you listen to" in card.reason and "close to your favourites" in card.reason


def test_a_lifting_card_says_it_is_there_to_lift_the_mood():
    card = recommended_track(
        ROW, [], score=1.0, parts={}, sources=[], label="sadness", valence=0.12, energy=0.2, lift=True
    )

    assert card.lifted
    assert card.reason.endswith("— to lift your mood")
