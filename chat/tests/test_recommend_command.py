from __future__ import annotations

import json
import re
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from chat.agent.turn import run_turn
from recommender.profiles import track_profiles_refresh
from tests.factories import ArtistFactory, TrackFactory, UserFactory


@pytest.fixture
def two_tracks(db) -> None:
    singer = ArtistFactory.create(name="Ada Lane")
    for index, (valence, energy, genre) in enumerate([(0.1, 0.2, "folk"), (0.9, 0.85, "pop")]):
        TrackFactory.create(
            name=f"Song {index}", artists=[singer], genre=genre, valence=valence, energy=energy
        )
    track_profiles_refresh()


def test_it_prints_the_mood_and_tracks_as_json(alice, two_tracks):
    out = StringIO()

    call_command(
        "recommend", "--user", "ALICE@example.com", "--text", "I feel so sad", "-n", "2", "--json", stdout=out
    )

    payload = json.loads(out.getvalue())
    assert payload["mood"]["label"] == "sadness"
    assert payload["tracks"][0]["name"] == "Song 0"
    assert len(payload["tracks"]) == 2


def test_it_prints_a_readable_table(alice, two_tracks):
    out = StringIO()

    call_command("recommend", "--user", "alice@example.com", "--text", "so happy today", stdout=out)

    lines = out.getvalue().splitlines()
    assert lines[0].startswith("Mood: joy")
    assert "Ada Lane" in out.getvalue() and "— for a happy mood" in out.getvalue()
    assert lines[1].split()[:5] == ["#", "Track", "Artists", "Genre", "Mood"]
    assert re.search(r"\b(happy|sad|calm|energetic) \d+%", lines[2])


def test_it_refuses_an_unknown_user(db):
    with pytest.raises(CommandError, match=r"nobody@example\.com"):
        call_command("recommend", "--user", "nobody@example.com", "--text", "hi")


@pytest.mark.django_db
def test_a_calm_request_gets_calmer_tracks_than_a_party_request(small_catalog):
    UserFactory.create(email="calm@example.com")

    def mean_energy(text: str) -> float:
        out = StringIO()
        args = ["--user", "calm@example.com", "--text", text, "-n", "6", "--json"]
        call_command("recommend", *args, stdout=out)
        tracks = json.loads(out.getvalue())["tracks"]
        return sum(track["energy"] for track in tracks) / len(tracks)

    calm = mean_energy("I'm stressed, play something calm")
    assert calm < 0.4 < mean_energy("let's party, something upbeat")


@pytest.mark.django_db
def test_a_lift_request_is_answered_as_a_lift(alice, small_catalog):
    result = run_turn(user=alice, text="I'm sad, lift me up")
    reply = next(event["text"] for event in result.events if event["type"] == "message")
    tracks = next(event["tracks"] for event in result.events if event["type"] == "tracks")
    assert all(track["lifted"] for track in tracks)
    assert reply.split(".")[0] in {
        "Let's lift you up a little",
        "Here's something brighter to pull you up",
        "Let's nudge the mood upward",
    }
