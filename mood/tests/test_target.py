"""The listening target: what a listener says becomes a mix of track moods."""

from __future__ import annotations

import numpy as np
import pytest

from mood.perception import EmotionEstimate
from mood.target import (
    avoided_track_moods,
    felt_moods,
    listening_target,
    mood_centre,
    requested_moods,
    target_moods,
    target_without,
)
from mood.track_mood import TRACK_MOODS

NEUTRAL = EmotionEstimate("neutral", 0.0, 0.0, 0.5)
SAD = EmotionEstimate("sadness", -0.7, -0.4, 0.8)


def main_mood(moods) -> str:
    return TRACK_MOODS[int(np.argmax(moods))]


@pytest.mark.parametrize(
    ("text", "mood"),
    [
        ("I want to relax and unwind after a long day", "calm"),
        ("help me focus on this report", "calm"),
        ("something to fall asleep to, I need sleep", "calm"),
        ("I'm pumped, heading to the gym right now!", "energetic"),
        ("hype me up for my workout", "energetic"),
        ("play some sad songs", "sad"),
        ("give me happy music", "happy"),
    ],
)
def test_requests_ask_for_the_track_mood_people_would_name(text, mood):
    target = listening_target(NEUTRAL, text)

    assert target.track_mood == mood
    assert max(target.moods) > 0.6
    assert sum(target.moods) == pytest.approx(1.0)


def test_a_party_is_aimed_where_the_catalogs_party_playlists_are_learned_to_be():
    moods = requested_moods("let's party tonight")

    assert moods is not None
    assert moods[TRACK_MOODS.index("happy")] + moods[TRACK_MOODS.index("energetic")] > 0.8
    assert moods[TRACK_MOODS.index("calm")] < 0.1


def test_feelings_alone_are_no_request():
    assert requested_moods("I'm sad") is None
    assert requested_moods("how was your weekend?") is None


def test_heartbreak_stays_with_sadness_unless_the_listener_asks_to_be_lifted():
    stay = listening_target(SAD, "I'm heartbroken")
    lifted = listening_target(SAD, "I'm heartbroken, cheer me up")

    assert stay.track_mood == "sad"
    assert lifted.strategy == "lift" and lifted.track_mood == "happy"
    assert lifted.moods[TRACK_MOODS.index("sad")] == 0.0


def test_cheer_me_up_lifts_even_a_neutral_mood():
    assert main_mood(target_moods("neutral", "cheer me up", lift=True)) == "happy"


def test_a_request_for_sad_songs_holds_even_for_a_listener_who_likes_to_be_lifted():
    assert main_mood(target_moods("sadness", "play me sad songs", lift=True)) == "sad"


def test_stress_is_met_gently():
    assert main_mood(felt_moods("fear", lift=False)) == "calm"
    assert main_mood(felt_moods("anger", lift=False)) == "energetic"


def test_a_calm_target_lies_where_peoples_calm_music_lies():
    valence, energy = mood_centre(target_moods("calm", "relax", lift=False))

    assert valence < 0.3 and energy < 0.3


def test_an_avoided_mood_leaves_the_target_and_the_rest_keeps_its_shares():
    avoided = avoided_track_moods(["sadness", "not a mood"])
    target = target_without(np.array([0.1, 0.6, 0.3, 0.0]), avoided)
    everything = target_without(np.array([0.0, 1.0, 0.0, 0.0]), avoided)

    assert avoided == {TRACK_MOODS.index("sad")}
    assert target == pytest.approx([0.25, 0.0, 0.75, 0.0])
    assert everything == pytest.approx([1 / 3, 0.0, 1 / 3, 1 / 3])
