"""The agent acts only when asked, on the playlist meant; writes can be undone; nothing is written twice.

Pure checks (names, planning) first; then the eval command on the development set; then the
cases from the issue over a real WebSocket to daphne, with the emulator's state checked after each.
"""

from __future__ import annotations

import io
import json
import time
from pathlib import Path
from types import SimpleNamespace

import pytest
from django.core.management import call_command

from catalog.demo import demo_catalog_load
from catalog.models import Playlist, Track
from catalog.services import playlist_items_append
from chat.agent.planner import plan_turn
from chat.agent.playlist_names import choose_playlist, match_strength, which_question
from recommender.profiles import track_profiles_refresh
from spotify import playlist_writes
from spotify import services as spotify_services
from spotify.models import PlaylistWrite
from tests.conftest import daphne_server
from tests.emulator import MALIK, NORA, consented_link
from tests.factories import catalog_slice_ids

from .test_conversation_script import TRACKS_PER_GENRE, chat_socket, malik, spotify_env  # noqa: F401

pytestmark = pytest.mark.django_db(transaction=True)

DEV_SET = Path(__file__).resolve().parents[1] / "eval" / "agent_dev.csv"


def _named(*names: str) -> list[SimpleNamespace]:
    return [SimpleNamespace(name=name) for name in names]


# --- which playlist a name means ----------------------------------------------------------------


def test_names_resolve_tolerantly_to_one_playlist():
    mine = _named("Rainy Sunday", "rain on the window", "gym rotation", "late drive", "sunday morning")
    assert choose_playlist("Gym", mine).found.name == "gym rotation"
    assert choose_playlist("the rain one", mine).found.name == "rain on the window"
    assert choose_playlist("“Rainy Sunday”", mine).found.name == "Rainy Sunday"
    assert choose_playlist("late drve", mine).found.name == "late drive"
    assert choose_playlist("GYM ROTATION playlist", mine).found.name == "gym rotation"
    assert match_strength("gym", "gym rotation") > match_strength("gym", "gymnastics mix")


def test_an_ambiguous_or_unknown_name_asks_listing_candidates_and_never_guesses():
    mine = _named("Rainy Sunday", "sunday morning", "late drive")
    ambiguous = choose_playlist("sunday", mine)
    assert ambiguous.found is None and ambiguous.ambiguous
    assert "“Rainy Sunday”" in which_question("sunday", ambiguous)
    assert "“sunday morning”" in which_question("sunday", ambiguous)
    unknown = choose_playlist("workout mix", mine)
    assert unknown.found is None and not unknown.ambiguous
    assert which_question("workout mix", unknown).startswith(
        "I can't find a playlist of yours called “workout mix”"
    )


# --- what gets planned -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text", ["disconnect spotify", "export my data", "delete my account", "show me my mood history"]
)
def test_account_requests_are_answered_never_recommended_or_saved(text):
    plan = plan_turn(text)
    assert [name for name, _ in plan.calls] == ["account_help"]


def test_a_message_that_only_resembles_a_write_gets_a_question_then_acts_on_yes():
    plan = plan_turn("keep this list on my spotify")
    assert not plan.calls and plan.pending and "?" in plan.clarify
    assert plan_turn("yes", pending=plan.pending).calls == plan.pending
    assert plan_turn("no thanks", pending=plan.pending).calls == []


def test_the_playlist_is_taken_from_the_words_after_to_whatever_their_case():
    assert plan_turn("add the first one to rain on the window").calls == [
        ("add_to_playlist", {"playlist": "rain on the window", "positions": [1]})
    ]
    assert plan_turn("add the first two to Gym").calls == [
        ("add_to_playlist", {"playlist": "Gym", "positions": [1, 2]})
    ]
    # The answer to "which playlist?" completes the write that waited for it.
    waiting = [("add_to_playlist", {"positions": [1]})]
    assert plan_turn("golden era", pending=waiting).calls == [
        ("add_to_playlist", {"positions": [1], "playlist": "golden era"})
    ]


def test_appending_to_a_playlist_of_one_track_goes_after_it(alice):
    demo_catalog_load()
    playlist = Playlist.objects.create(owner=alice, spotify_id="oneitemplaylist", name="one")
    ids = list(Track.objects.values_list("spotify_id", flat=True)[:2])
    playlist_items_append(playlist=playlist, track_spotify_ids=ids[:1], snapshot_id=None)
    playlist_items_append(playlist=playlist, track_spotify_ids=ids[1:], snapshot_id=None)
    assert list(playlist.items.values_list("position", flat=True)) == [0, 1]


# --- the measurement ----------------------------------------------------------------------------


def test_eval_agent_meets_its_bar_on_the_development_set(malik):  # noqa: F811
    out = io.StringIO()
    call_command("eval_agent", "--data", str(DEV_SET), stdout=out)
    text = out.getvalue()
    accuracy = float(text.split("ACTION ACCURACY: ")[1].split()[0])
    on_target, expected = map(int, text.split("WRITES ON TARGET: ")[1].split()[0].split("/"))
    unasked = int(text.split("WRITES NOT ASKED FOR: ")[1].split()[0])
    assert accuracy >= 0.95, text
    assert expected >= 40 and on_target >= expected - 1, text
    assert unasked == 0, text
    assert not Playlist.objects.filter(name="Rainy Sunday").exists()  # all of it rolled back


def test_eval_agent_json_has_one_object_per_turn_with_its_writes(tmp_path, malik):  # noqa: F811
    data = tmp_path / "dev.csv"
    data.write_text(
        "dialogue_id,turn,text,expected_action,expected_target\n"
        "a,1,play something calm,recommend,\n"
        "a,2,add the first one to gym,playlist_add,gym rotation\n"
        "b,1,disconnect spotify,account,\n"
    )
    out = io.StringIO()
    call_command("eval_agent", "--data", str(data), "--json", stdout=out)
    rows = [json.loads(line) for line in out.getvalue().splitlines()]
    assert [(r["dialogue_id"], r["turn"], r["action"]) for r in rows] == [
        ("a", 1, "recommend"),
        ("a", 2, "playlist_add"),
        ("b", 1, "account"),
    ]
    assert rows[1]["target"] == "gym rotation" and rows[1]["writes"][0]["action"] == "add"
    assert rows[0]["writes"] == [] and rows[2]["writes"] == []


# --- the cases from the issue, over the socket, checked in the emulator ---------------------------


def _playlists(emulator, listener) -> dict[str, list[str]]:
    """Name → track ids of the listener's playlists on the emulator (one process outlives a test)."""
    return {p["name"]: p["track_ids"] for p in emulator.state(listener["id"])["playlists"]}


def _count(emulator, listener, name: str) -> int:
    return sum(p["name"] == name for p in emulator.state(listener["id"])["playlists"])


def test_trust_cases_over_the_socket(malik, emulator):  # noqa: F811
    with daphne_server(**spotify_env(emulator)) as address, chat_socket(address, malik, "trust.txt") as chat:
        before = _playlists(emulator, MALIK)
        # Account requests write nothing and say what the product offers.
        for text in ("disconnect spotify", "export my data", "delete my account", "show me my mood history"):
            turn = chat.say(text)
            assert not turn.tracks and not turn.actions, (text, turn.reply)
        assert "/library/" in chat.say("disconnect spotify").reply
        assert "/account/data/" in chat.say("export my data").reply
        assert "/accounts/delete/" in chat.say("delete my account").reply
        assert _playlists(emulator, MALIK) == before

        picks = chat.say("give me some upbeat songs for the gym").tracks
        assert len(picks) >= 3
        # "Gym" is "gym rotation"; a command shows no mood line; one confirmation, with an undo handle.
        turn = chat.say("add the first two to Gym")
        assert turn.one("mood")["mood"].get("quiet") is True
        (action,) = turn.actions
        assert action["in_reply"] and action["write_id"] and "gym rotation" in turn.reply
        after = _playlists(emulator, MALIK)
        added = [t for t in after["gym rotation"] if t not in before["gym rotation"]]
        assert added == [picks[0]["spotify_id"], picks[1]["spotify_id"]]
        # Asking again adds nothing twice.
        again = chat.say("add the first two to gym rotation")
        assert "already" in again.reply and not again.actions
        assert _playlists(emulator, MALIK)["gym rotation"] == after["gym rotation"]
        # An unknown name asks, listing candidates, and writes nothing.
        turn = chat.say("add the third one to my workout mix")
        assert "?" in turn.reply and not turn.actions
        assert _playlists(emulator, MALIK) == after
        # Undo from the chat takes the two back out.
        turn = chat.say("undo")
        assert (
            turn.reply.startswith("Undone")
            and _playlists(emulator, MALIK)["gym rotation"] == before["gym rotation"]
        )
        # A made playlist can be undone with the button's frame: it is gone from Spotify.
        made_before = _count(emulator, MALIK, "Undo Me")
        turn = chat.say("make a playlist called Undo Me with these")
        write_id = turn.actions[0]["write_id"]
        assert _count(emulator, MALIK, "Undo Me") == made_before + 1
        chat.ws.send(json.dumps({"type": "undo", "write_id": write_id}))
        undone = json.loads(chat.ws.recv(timeout=15))
        assert undone["action"] == "undone" and _count(emulator, MALIK, "Undo Me") == made_before
        json.loads(chat.ws.recv(timeout=5))  # done
        # "Why did you pick that?" is one or two sentences about one track.
        chat.say("play something calm")
        reply = chat.say("why did you pick that?").reply
        assert reply.startswith("I picked ") and reply.count(". ") <= 1


def test_a_lower_case_playlist_name_is_the_one_written_for_nora(spotify_at, alice, emulator):
    demo_catalog_load()
    consented_link(spotify_at, alice, listener=NORA)
    spotify_services.library_sync(user=alice)
    track_profiles_refresh(track_ids=catalog_slice_ids(alice, per_genre=TRACKS_PER_GENRE))
    with daphne_server(**spotify_env(emulator)) as address, chat_socket(address, alice, "nora.txt") as chat:
        chat.say("play something chill for a rainy afternoon")
        chat.say("make a playlist called Drizzly Sunday with these")
        made = _playlists(emulator, NORA)
        turn = chat.say("add the first one to rain on the window")
        assert "rain on the window" in turn.reply
        now = _playlists(emulator, NORA)
        assert now["Drizzly Sunday"] == made["Drizzly Sunday"]
        assert len(now["rain on the window"]) == len(made["rain on the window"]) + 1


def test_a_create_spotify_does_not_answer_is_checked_not_duplicated(malik, emulator, settings):  # noqa: F811
    settings.SPOTIFY_TIMEOUT_SECONDS = 1
    track_ids = list(
        Track.objects.filter(spotify_id__regex=r"^[0-9A-Za-z]{22}$").values_list("spotify_id", flat=True)[:3]
    )
    emulator.fault(latency_ms=2500, path="/v1/me/playlists", count=1)
    with pytest.raises(playlist_writes.PlaylistWriteUncertain):
        playlist_writes.playlist_create_logged(
            user=malik, name="Slow Lane", track_spotify_ids=track_ids, queue_check=False
        )
    # Asked again while it is being checked: refused, not made twice.
    with pytest.raises(playlist_writes.PlaylistWriteUncertain):
        playlist_writes.playlist_create_logged(
            user=malik, name="slow lane", track_spotify_ids=track_ids, queue_check=False
        )
    time.sleep(2.0)  # Spotify finishes the first create after all
    write = PlaylistWrite.objects.get(user=malik, name="Slow Lane")
    assert playlist_writes.uncertain_create_check(write.pk) == PlaylistWrite.State.DONE
    made = [p for p in emulator.state(MALIK["id"])["playlists"] if p["name"] == "Slow Lane"]
    assert len(made) == 1 and made[0]["track_ids"] == track_ids
    assert Playlist.objects.filter(owner=malik, name="Slow Lane").count() == 1
    # The listener hears once how it ended.
    (told,) = playlist_writes.settled_untold(user=malik)
    assert "did get created" in playlist_writes.settled_sentence(told)
    playlist_writes.settled_told([told])
    assert playlist_writes.settled_untold(user=malik) == []
