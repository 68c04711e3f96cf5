"""A whole conversation over a real WebSocket to a real daphne, offline and through the LLM seam.

The listener is linked to the Spotify emulator (demo listener Malik) and synced; the server is
a daphne subprocess on the test database. The same script runs twice: with no LLM (the offline
agent) and with the LLM seam pointed at the local OpenAI-compatible stand-in, whose brain plans
tool calls the way a model would. Every case the agent must handle is in the script.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest
from django.test import Client
from websockets.sync.client import ClientConnection, connect
from websockets.typing import Origin

from catalog.demo import demo_catalog_load
from chat.models import Message, MoodReading
from recommender.models import TastePreference
from recommender.profiles import track_profiles_refresh
from spotify import services as spotify_services
from spotify.models import Play
from tests.conftest import daphne_server
from tests.emulator import CLIENT_ID, MALIK, consented_link
from tests.factories import catalog_slice_ids
from tests.llm_standin import STANDIN_KEY, STANDIN_MODEL, LLMStandin, standin_start

pytestmark = pytest.mark.django_db(transaction=True)

TRACKS_PER_GENRE = 12
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"


@dataclass
class Turn:
    events: list[dict]

    @property
    def types(self) -> list[str]:
        return [event["type"] for event in self.events]

    def one(self, kind: str) -> dict:
        found = [event for event in self.events if event["type"] == kind]
        assert len(found) == 1, (kind, self.events)
        return found[0]

    @property
    def reply(self) -> str:
        return self.one("message")["text"]

    @property
    def tracks(self) -> list[dict]:
        found = [event for event in self.events if event["type"] == "tracks"]
        return found[0]["tracks"] if found else []

    @property
    def actions(self) -> list[dict]:
        return [event for event in self.events if event["type"] == "action"]


class ChatSocket:
    """A listener's browser, reduced to its socket; the transcript goes to test-artifacts/ for reading."""

    def __init__(self, ws: ClientConnection, transcript: Path) -> None:
        self.ws = ws
        self.history = json.loads(self.ws.recv(timeout=10))
        self.transcript = transcript
        transcript.parent.mkdir(exist_ok=True)
        transcript.write_text("")

    def say(self, text: str) -> Turn:
        self.ws.send(json.dumps({"type": "message", "text": text}))
        events = []
        while True:
            event = json.loads(self.ws.recv(timeout=30))
            events.append(event)
            if event["type"] == "done":
                turn = Turn(events)
                with self.transcript.open("a") as out:
                    tracks = "".join(
                        f"\n      {t['name']} — {', '.join(t['artists'])} ({t['genre']})" for t in turn.tracks
                    )
                    out.write(f"> {text}\n  [{' '.join(turn.types)}]\n  {turn.reply}{tracks}\n")
                return turn


@contextmanager
def chat_socket(address: str, user, transcript: str) -> Iterator[ChatSocket]:
    client = Client()
    client.force_login(user)
    cookie = f"sessionid={client.cookies['sessionid'].value}"
    with connect(
        f"ws://{address}/ws/chat/",
        origin=Origin(f"http://{address}"),
        additional_headers={"Cookie": cookie},
        open_timeout=10,
        legacy=True,  # a plain connection, not the reconnecting iterator
    ) as ws:
        yield ChatSocket(ws, ARTIFACTS / transcript)


@pytest.fixture
def malik(spotify_at, alice):
    """Alice, linked to the emulator's Malik and synced, over a catalog slice with mood profiles."""
    demo_catalog_load()
    consented_link(spotify_at, alice, listener=MALIK)
    spotify_services.library_sync(user=alice)
    ids = catalog_slice_ids(alice, per_genre=TRACKS_PER_GENRE)
    track_profiles_refresh(track_ids=ids)
    return alice


def spotify_env(emulator) -> dict[str, str]:
    return {
        "SPOTIFY_API_BASE_URL": emulator.api,
        "SPOTIFY_ACCOUNTS_BASE_URL": f"{emulator.base}/",
        "SPOTIFY_CLIENT_ID": CLIENT_ID,
        "SPOTIFY_CLIENT_SECRET": "",
        "LLM_BASE_URL": "",
        "LLM_MODEL": "",
    }


@pytest.fixture(scope="module")
def brainy_standin() -> Iterator[LLMStandin]:
    standin = standin_start("--brain", "chat.agent.standin_brain:respond")
    yield standin
    standin.stop()


def rainy_sunday(emulator, existing: set[str]) -> dict:
    """The one Rainy Sunday playlist this script made (the emulator outlives a test)."""
    (made,) = [
        p
        for p in emulator.state(MALIK["id"])["playlists"]
        if p["name"] == "Rainy Sunday" and p["id"] not in existing
    ]
    return made


def run_script(chat: ChatSocket, user, emulator) -> None:
    """Every case of the offline agent, with what each must do — checked against the database and Spotify."""
    # Small talk: a reply, no list forced on anyone.
    turn = chat.say("hi")
    assert turn.types[0] == "typing" and turn.types[-1] == "done"
    assert "Alice" in turn.reply and not turn.tracks

    # Someone who only says how they feel is answered and asked, then served when they accept.
    turn = chat.say("I had a really rough day and I feel so low")
    assert turn.one("mood")["mood"]["label"] == "sadness"
    assert not turn.tracks and "?" in turn.reply
    turn = chat.say("yes please")
    assert 5 <= len(turn.tracks) <= 10

    # A plain request.
    turn = chat.say("recommend something")
    assert len(turn.tracks) >= 5
    assert all(track["name"] and track["artists"] and track["reason"] for track in turn.tracks)

    # Stress, and an explicit ask for calm: the list is calmer than an energetic one.
    turn = chat.say("I'm stressed, play something calm")
    assert turn.one("mood")["mood"]["label"] == "fear"
    calm = turn.tracks
    assert len(calm) >= 5
    energetic = chat.say("now something energetic for the gym").tracks
    calm_energy = [t["energy"] for t in calm if t["energy"] is not None]
    loud_energy = [t["energy"] for t in energetic if t["energy"] is not None]
    assert sum(calm_energy) / len(calm_energy) < sum(loud_energy) / len(loud_energy)

    # "More like the second one": a new list, said to sound like that track, without it.
    second = energetic[1]
    turn = chat.say("more like the second one")
    assert len(turn.tracks) >= 5
    assert second["name"] in turn.reply
    assert second["track_id"] not in {t["track_id"] for t in turn.tracks}

    # "No more rap": remembered, and no hip-hop from now on.
    turn = chat.say("no more rap")
    assert not turn.tracks
    assert TastePreference.objects.filter(user=user, kind="genre", value="hip-hop", liked=False).exists()
    for text in ("play something with energy", "recommend something upbeat"):
        tracks = chat.say(text).tracks
        assert tracks and all(t["genre"] != "hip-hop" for t in tracks)

    # A playlist on the listener's Spotify, then an edit of it.
    shown = tracks
    before = {p["id"] for p in emulator.state(MALIK["id"])["playlists"]}
    turn = chat.say("make a playlist called Rainy Sunday with these")
    assert [a["action"] for a in turn.actions] == ["playlist_created"]
    assert "Rainy Sunday" in turn.reply
    playlist = rainy_sunday(emulator, before)
    assert playlist["track_ids"] == [t["spotify_id"] for t in shown]

    turn = chat.say("remove the third one")
    assert [a["action"] for a in turn.actions] == ["playlist_tracks_removed"]
    assert shown[2]["name"] in turn.reply
    playlist = rainy_sunday(emulator, before)
    assert playlist["track_ids"] == [t["spotify_id"] for i, t in enumerate(shown) if i != 2]

    # Listening history from the synced library.
    turn = chat.say("what have I been listening to lately?")
    played = list(
        Play.objects.filter(user=user).order_by("-played_at").values_list("track__name", flat=True)[:3]
    )
    assert [t["name"] for t in turn.tracks[:3]] == played

    # Why: the explanation of the agent's own picks, not of the history on screen.
    turn = chat.say("why did you pick that?")
    assert "your own Spotify history" in turn.reply
    assert shown[0]["name"] in turn.reply

    # What it cannot do, said plainly; and thanks.
    turn = chat.say("what's the weather tomorrow?")
    assert not turn.tracks and "can't" in turn.reply
    turn = chat.say("thanks!")
    assert not turn.tracks and not turn.actions

    # Every listener message was stored with its mood.
    stored = Message.objects.filter(conversation__user=user, role="user").count()
    assert stored == MoodReading.objects.filter(message__conversation__user=user).count() == 16


def test_the_offline_agent_handles_the_whole_script(malik, spotify_at):
    with (
        daphne_server(**spotify_env(spotify_at)) as address,
        chat_socket(address, malik, "chat-offline.txt") as chat,
    ):
        run_script(chat, malik, spotify_at)
    assert Message.objects.filter(role="assistant", meta__agent="offline").count() == 16


def test_the_llm_agent_handles_the_same_script_through_the_stand_in(malik, spotify_at, brainy_standin):
    brainy_standin.reset()
    env = spotify_env(spotify_at) | {
        "LLM_BASE_URL": brainy_standin.base_url,
        "LLM_MODEL": STANDIN_MODEL,
        "LLM_API_KEY": STANDIN_KEY,
    }
    with daphne_server(**env) as address, chat_socket(address, malik, "chat-llm.txt") as chat:
        run_script(chat, malik, spotify_at)
        streamed = chat.say("hello again")
    # The reply was streamed as tokens that add up to the message.
    tokens = [event["text"] for event in streamed.events if event["type"] == "token"]
    assert len(tokens) > 1 and "".join(tokens).strip() == streamed.reply
    assert Message.objects.filter(role="assistant", meta__agent="llm").count() == 17
    requests = brainy_standin.requests()
    tool_names = {tool["function"]["name"] for tool in requests[-1]["tools"]}
    assert {"recommend_tracks", "create_playlist", "remove_from_playlist", "recently_played"} <= tool_names
    assert any(request.get("response_format") for request in requests)  # mood by structured output
