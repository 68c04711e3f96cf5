"""Explicitness (pure): the tri-state, the masks ranking reads, the estimate for clearly explicit tracks."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pytest

from catalog.explicit import (
    ExplicitEvidence,
    explicit_estimates,
    explicit_leaning_artists,
    explicit_masks,
    explicit_state,
    title_is_explicit,
)


@dataclass
class Row:
    explicit: bool | None


def test_a_track_is_explicit_clean_or_unknown_and_unknown_is_never_clean() -> None:
    assert [explicit_state(v) for v in (True, False, None)] == ["explicit", "clean", "unknown"]
    assert [explicit_state(Row(v)) for v in (True, False, None)] == ["explicit", "clean", "unknown"]


def test_the_masks_split_tracks_into_explicit_clean_and_unknown() -> None:
    masks = explicit_masks([Row(True), Row(False), Row(None), False])

    assert masks.explicit.tolist() == [True, False, False, False]
    assert masks.clean.tolist() == [False, True, False, True]
    assert masks.unknown.tolist() == [False, False, True, False]
    assert masks.allowed(allow_explicit=False).tolist() == [False, True, True, True]
    assert masks.allowed(allow_explicit=True).all()
    assert explicit_masks([]).explicit.dtype == np.bool_


@pytest.mark.parametrize(
    "title",
    [
        "Fuck Love",
        "Type Shit",
        "Rich Nigga Shit (feat. Young Thug)",
        "F**k It Up",
        "BITCHES BROKEN HEARTS",
        "Motherfucker",
        "Holy Shit - Remix",
        "Pray (Explicit)",
        "Jump [Explicit Version]",
    ],
)
def test_a_title_only_explicit_tracks_carry_is_read_as_explicit(title: str) -> None:
    assert title_is_explicit(title)


@pytest.mark.parametrize(
    "title",
    [
        "Det Är Slut",  # Swedish: "it's over"
        "Sexual Healing",
        "Don't Cha (feat. Busta Rhymes) - Pussycat Dolls",
        "Assassin's Creed",
        "Hoedown",
        "Class of '99",
        "Shiitake Dreams",
        "Scunthorpe",
        "Explicitly Yours",
    ],
)
def test_words_that_merely_contain_or_resemble_one_are_not(title: str) -> None:
    assert not title_is_explicit(title)


def evidence(track: int, said: bool | None, *artists: int, title: str = "Song") -> ExplicitEvidence:
    return ExplicitEvidence(track, title, said, artists)


def test_an_artist_whose_known_tracks_are_mostly_explicit_makes_its_unknown_tracks_estimated_explicit() -> (
    None
):
    items = [
        evidence(1, True, 7),
        evidence(2, True, 7),
        evidence(3, None, 7, title="Type Shit"),  # known by its title
        evidence(4, False, 7),  # one clean of four: 3/4 still explicit
        evidence(5, None, 7),  # nobody said: estimated
        evidence(6, None, 8, 7),  # featuring the artist: estimated
        evidence(9, None, 8),  # another artist entirely: unknown
    ]

    assert explicit_leaning_artists(items) == {7}
    assert explicit_estimates(items) == {3, 5, 6}
    assert explicit_estimates(items, only=[5, 9]) == {5}


def test_too_few_known_tracks_or_too_many_clean_ones_estimate_nothing() -> None:
    two_known = [evidence(1, True, 7), evidence(2, True, 7), evidence(3, None, 7)]
    mostly_clean = [evidence(1, True, 7), evidence(2, True, 7), evidence(3, False, 7), evidence(4, None, 7)]

    assert explicit_estimates(two_known) == set()
    assert explicit_estimates(mostly_clean) == set()


def test_the_estimate_never_overrules_what_a_source_said_and_never_says_clean() -> None:
    items = [evidence(1, False, 7, title="Fuck Love (Clean)"), evidence(2, None, 7, title="Fuck Love")]

    assert explicit_estimates(items) == {2}  # the clean edit stays clean: Spotify said so
