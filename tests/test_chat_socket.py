"""The chat WebSocket over the real ASGI stack (origin check, session auth; no Redis needed for a turn)."""

from __future__ import annotations

import asyncio
import json
import threading
from datetime import timedelta

import pytest
from asgiref.sync import sync_to_async
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator
from django.contrib.sessions.models import Session
from django.db import connection
from django.test import Client
from django.utils import timezone

from chat.models import Message, MoodReading
from personalais.asgi import application
from recommender.models import Feedback
from spotify.models import SpotifyLink
from spotify.tokens import TokenGrant, link_save

pytestmark = pytest.mark.django_db(transaction=True)

ORIGIN = (b"origin", b"http://localhost")


@database_sync_to_async
def session_cookie_for(user) -> bytes:
    client = Client()
    client.force_login(user)
    return f"sessionid={client.cookies['sessionid'].value}".encode()


async def connect(user=None, origin=ORIGIN, host=b"localhost"):
    headers = [origin] if origin else []
    if host:
        headers.append((b"host", host))
    if user is not None:
        headers.append((b"cookie", await session_cookie_for(user)))
    communicator = WebsocketCommunicator(application, "/ws/chat/", headers=headers)
    connected, code = await communicator.connect(timeout=5)
    return communicator, connected, code


async def receive_until_done(communicator) -> list[dict]:
    events = []
    while True:
        event = await communicator.receive_json_from(timeout=20)
        events.append(event)
        if event["type"] == "done":
            return events


async def test_it_closes_sockets_without_a_logged_in_user_with_a_code_the_page_understands():
    communicator, connected, _ = await connect(user=None)
    # Accepted, then closed with 4401: a refused handshake would reach the browser as a bare 1006.
    assert connected
    assert await communicator.receive_output(timeout=5) == {"type": "websocket.close", "code": 4401}


async def test_a_socket_stops_acting_for_a_listener_who_logged_out(alice):
    communicator, connected, _ = await connect(alice)
    assert connected
    await communicator.receive_json_from(timeout=10)  # history
    await database_sync_to_async(Session.objects.all().delete)()  # what logging out does to it
    await communicator.send_json_to({"type": "message", "text": "hello?"})
    assert await communicator.receive_output(timeout=5) == {"type": "websocket.close", "code": 4401}
    assert not await database_sync_to_async(Message.objects.filter(text="hello?").exists)()


@pytest.mark.parametrize(
    "frame",
    [
        {"type": "feedback", "message_id": 1, "track_id": "t1", "kind": "dislike"},  # a button
        {"type": "nonsense"},  # a frame that would only get an error
        {"type": "message", "text": "x" * 100_000},  # one too big to read
    ],
)
async def test_a_logged_out_socket_is_closed_whatever_it_sends(alice, frame):
    communicator, connected, _ = await connect(alice)
    assert connected
    await communicator.receive_json_from(timeout=10)  # history
    await database_sync_to_async(Session.objects.all().delete)()
    await communicator.send_json_to(frame)
    assert await communicator.receive_output(timeout=5) == {"type": "websocket.close", "code": 4401}
    assert not await database_sync_to_async(Feedback.objects.exists)()


async def test_a_socket_whose_session_expired_is_closed_and_its_message_not_stored(alice):
    communicator, connected, _ = await connect(alice)
    assert connected
    await communicator.receive_json_from(timeout=10)  # history
    expired = timezone.now() - timedelta(seconds=1)
    await database_sync_to_async(Session.objects.update)(expire_date=expired)
    await communicator.send_json_to({"type": "message", "text": "still there?"})
    assert await communicator.receive_output(timeout=5) == {"type": "websocket.close", "code": 4401}
    assert not await database_sync_to_async(Message.objects.filter(text="still there?").exists)()


async def test_a_turn_says_typing_first_once_the_session_is_checked(alice):
    communicator, connected, _ = await connect(alice)
    assert connected
    await communicator.receive_json_from(timeout=10)  # history
    await communicator.send_json_to({"type": "message", "text": "hello"})
    events = await receive_until_done(communicator)
    assert events[0]["type"] == "typing" and [e["type"] for e in events].count("typing") == 1
    await communicator.disconnect()


async def test_it_rejects_a_handshake_from_a_foreign_origin(alice):
    _, connected, _ = await connect(alice, origin=(b"origin", b"http://evil.example"))
    assert not connected


@pytest.mark.parametrize(
    ("origin", "host"),
    [
        (b"http://127.0.0.1:9999", b"127.0.0.1:8000"),  # another port of the same host
        (b"http://127.0.0.1:8000", b"127.0.0.1:8100"),
        (b"https://127.0.0.1", b"127.0.0.1"),  # another scheme
        (b"http://localhost:8000", b"evil.example:8000"),  # a Host we don't serve
        (b"null", b"localhost"),
    ],
)
async def test_it_rejects_the_same_host_on_another_port_or_scheme(alice, origin, host):
    _, connected, _ = await connect(alice, origin=(b"origin", origin), host=host)
    assert not connected


@pytest.mark.parametrize(
    ("origin", "host", "trusted"),
    [
        (b"http://127.0.0.1:8000", b"127.0.0.1:8000", []),
        (b"http://localhost:80", b"localhost", []),  # the default port, said or not
        (b"https://music.example.org", b"localhost:8000", ["https://music.example.org"]),  # a TLS proxy
    ],
)
async def test_it_accepts_its_own_origin_and_a_trusted_one(alice, settings, origin, host, trusted):
    settings.CSRF_TRUSTED_ORIGINS = trusted
    communicator, connected, _ = await connect(alice, origin=(b"origin", origin), host=host)
    assert connected
    await communicator.disconnect()


async def test_a_turns_events_arrive_in_the_order_they_happened_and_done_comes_last(alice, small_catalog):
    communicator, connected, _ = await connect(alice)
    assert connected
    await communicator.receive_json_from(timeout=10)  # history
    for text in ("play me something calm", "more like that"):
        await communicator.send_json_to({"type": "message", "text": text})
        events = await receive_until_done(communicator)
        assert [e["type"] for e in events] == ["typing", "mood", "message", "tracks", "done"]
        message = events[2]
        assert events[1]["message_id"] < message["id"] == events[3]["message_id"]
    await communicator.disconnect()


async def test_a_turn_does_not_wait_for_the_process_sync_thread(alice, small_catalog):
    """Another request holding the process's one sync thread must not hold up a listener's turn."""
    communicator, connected, _ = await connect(alice)
    assert connected
    await communicator.receive_json_from(timeout=10)  # history (read in that thread)
    release = threading.Event()
    held = asyncio.ensure_future(sync_to_async(release.wait, thread_sensitive=True)())
    try:
        await asyncio.sleep(0.05)
        await communicator.send_json_to({"type": "message", "text": "play me something upbeat"})
        events = await receive_until_done(communicator)
        assert not held.done()
        assert "tracks" in [e["type"] for e in events]
    finally:
        release.set()
        await held
    await communicator.disconnect()


async def test_it_sends_history_then_answers_a_mood_with_tracks(alice, small_catalog):
    communicator, connected, _ = await connect(alice)
    assert connected
    history = await communicator.receive_json_from(timeout=5)
    assert history == {"type": "history", "messages": [], "has_more": False, "votes": {}}

    await communicator.send_json_to({"type": "message", "text": "I feel down today, play me something"})
    events = await receive_until_done(communicator)
    types = [event["type"] for event in events]
    assert types[0] == "typing"
    mood = next(event for event in events if event["type"] == "mood")["mood"]
    assert mood["label"] == "sadness" and mood["valence"] < 0
    tracks = next(event for event in events if event["type"] == "tracks")["tracks"]
    assert 5 <= len(tracks) <= 10
    assert all(track["name"] and track["artists"] and track["reason"] for track in tracks)
    await communicator.disconnect()

    stored = await database_sync_to_async(list)(
        Message.objects.filter(conversation__user=alice).values_list("role", "text")
    )
    assert stored[0] == ("user", "I feel down today, play me something")
    assert stored[1][0] == "assistant"
    assert await database_sync_to_async(MoodReading.objects.filter(label="sadness").count)() == 1


async def test_it_answers_small_talk_without_forcing_a_recommendation(alice):
    communicator, _, _ = await connect(alice)
    await communicator.receive_json_from(timeout=5)
    await communicator.send_json_to({"type": "message", "text": "hello"})
    events = await receive_until_done(communicator)
    assert "tracks" not in [event["type"] for event in events]
    assert any(event["type"] == "message" and "Alice" in event["text"] for event in events)
    await communicator.disconnect()


async def test_an_idle_socket_stays_alive(alice):
    communicator, _, _ = await connect(alice)
    await communicator.receive_json_from(timeout=5)
    await asyncio.sleep(6.5)  # longer than any 5 s read timeout between us and the socket
    await communicator.send_json_to({"type": "message", "text": "hello"})
    events = await receive_until_done(communicator)
    assert any(event["type"] == "message" for event in events), events
    await communicator.disconnect()


@pytest.mark.parametrize(
    ("frame", "code"),
    [
        ("this is not json", "bad_frame"),
        (json.dumps(["a", "list"]), "bad_frame"),
        (json.dumps({"type": "message", "text": "   "}), "empty"),
        (json.dumps({"type": "message", "text": 123}), "empty"),
        (json.dumps({"type": "message", "text": "x" * 2001}), "too_long"),
        ("x" * 9000, "too_large"),
        (b"\x00binary", "bad_frame"),
        (json.dumps({"type": "dance"}), "bad_frame"),
        (json.dumps({"type": "save_playlist", "message_id": "1", "name": "Mix"}), "bad_frame"),
        (json.dumps({"type": "feedback", "message_id": 1, "kind": "like"}), "bad_frame"),
        (json.dumps({"type": "feedback", "message_id": 1, "track_id": 2, "kind": "love"}), "action_failed"),
        (json.dumps({"type": "correct_mood", "message_id": 1, "label": "hangry"}), "action_failed"),
    ],
)
async def test_it_answers_a_bad_frame_with_a_clear_error_and_stays_open(alice, frame, code):
    communicator, _, _ = await connect(alice)
    await communicator.receive_json_from(timeout=5)
    if isinstance(frame, bytes):
        await communicator.send_to(bytes_data=frame)
    else:
        await communicator.send_to(text_data=frame)
    error = await communicator.receive_json_from(timeout=5)
    assert error["type"] == "error" and error["code"] == code and error["message"]
    assert (await communicator.receive_json_from(timeout=5))["type"] == "done"

    await communicator.send_json_to({"type": "message", "text": "hi"})
    events = await receive_until_done(communicator)
    assert any(event["type"] == "message" for event in events), events
    await communicator.disconnect()


async def test_it_keeps_the_message_when_the_recommender_fails(alice, monkeypatch):
    def broken(**kwargs):
        raise RuntimeError("vector index unavailable")

    monkeypatch.setattr("recommender.services.recommend_tracks", broken)
    communicator, _, _ = await connect(alice)
    await communicator.receive_json_from(timeout=5)
    await communicator.send_json_to({"type": "message", "text": "play something happy"})
    events = await receive_until_done(communicator)
    reply = next(event for event in events if event["type"] == "message")
    assert "couldn't pick tracks" in reply["text"] and "try again" in reply["text"]
    texts = await database_sync_to_async(list)(
        Message.objects.filter(conversation__user=alice).values_list("text", flat=True)
    )
    assert texts == ["play something happy", reply["text"]]
    await communicator.disconnect()


async def test_a_crashing_turn_says_so_keeps_the_message_and_the_socket(alice, monkeypatch, small_catalog):
    def crash(*args, **kwargs):
        raise RuntimeError("bug")

    monkeypatch.setattr("chat.agent.turn.respond_offline", crash)
    communicator, _, _ = await connect(alice)
    await communicator.receive_json_from(timeout=5)
    await communicator.send_json_to({"type": "message", "text": "hi there"})
    events = await receive_until_done(communicator)
    error = next(event for event in events if event["type"] == "error")
    assert error["code"] == "internal" and "saved" in error["message"]
    monkeypatch.undo()
    await communicator.send_json_to({"type": "message", "text": "hello"})
    events = await receive_until_done(communicator)
    assert any(event["type"] == "message" for event in events), events
    texts = await database_sync_to_async(list)(
        Message.objects.filter(conversation__user=alice, role="user").values_list("text", flat=True)
    )
    assert texts == ["hi there", "hello"]
    await communicator.disconnect()


async def test_history_holds_only_my_own_conversation(alice, charlie, small_catalog):
    alice_socket, _, _ = await connect(alice)
    await alice_socket.receive_json_from(timeout=5)
    await alice_socket.send_json_to({"type": "message", "text": "my secret sad day"})
    await receive_until_done(alice_socket)
    await alice_socket.disconnect()

    charlie_socket, _, _ = await connect(charlie)
    history = await charlie_socket.receive_json_from(timeout=5)
    assert history["messages"] == []
    await charlie_socket.disconnect()

    alice_again, _, _ = await connect(alice)
    history = await alice_again.receive_json_from(timeout=5)
    assert history["messages"][0]["text"] == "my secret sad day"
    assert history["messages"][0]["mood"]["label"] == "sadness"
    await alice_again.disconnect()


async def test_a_listener_whose_spotify_needs_reconsent_is_told_in_the_chat(alice):
    @database_sync_to_async
    def dead_link() -> None:
        link_save(user=alice, spotify_user_id="alice-sp", grant=TokenGrant("a", "r", 3600))
        SpotifyLink.objects.filter(user=alice).update(status=SpotifyLink.Status.NEEDS_RECONSENT)

    await dead_link()
    communicator, _, _ = await connect(alice)
    assert (await communicator.receive_json_from(timeout=5))["type"] == "history"
    notice = await communicator.receive_json_from(timeout=5)
    assert notice["type"] == "notice" and "reconnect" in notice["text"] and notice["url"] == "/library/"
    await communicator.disconnect()


async def test_saving_a_playlist_without_spotify_says_how_to_connect(alice, small_catalog):
    communicator, _, _ = await connect(alice)
    await communicator.receive_json_from(timeout=5)
    await communicator.send_json_to({"type": "message", "text": "I feel down today, play me something"})
    events = await receive_until_done(communicator)
    message_id = next(event for event in events if event["type"] == "tracks")["message_id"]

    frame = {"type": "save_playlist", "message_id": message_id, "name": "Rainy Sunday"}
    await communicator.send_json_to(frame)
    error = await communicator.receive_json_from(timeout=5)
    assert error["type"] == "error" and "Connect Spotify" in error["message"]
    await communicator.disconnect()


async def test_a_listener_cannot_save_someone_elses_recommendations(alice, charlie, small_catalog):
    alice_socket, _, _ = await connect(alice)
    await alice_socket.receive_json_from(timeout=5)
    await alice_socket.send_json_to({"type": "message", "text": "I feel down today, play me something"})
    events = await receive_until_done(alice_socket)
    message_id = next(event for event in events if event["type"] == "tracks")["message_id"]
    await alice_socket.disconnect()

    charlie_socket, _, _ = await connect(charlie)
    await charlie_socket.receive_json_from(timeout=5)
    await charlie_socket.send_json_to({"type": "save_playlist", "message_id": message_id, "name": "Stolen"})
    error = await charlie_socket.receive_json_from(timeout=5)
    assert error["type"] == "error" and "can't find those tracks" in error["message"]
    await charlie_socket.disconnect()


async def test_a_thumbs_down_is_stored_and_that_track_never_comes_back(alice, small_catalog):
    communicator, _, _ = await connect(alice)
    await communicator.receive_json_from(timeout=5)
    await communicator.send_json_to({"type": "message", "text": "I feel down today, play me something"})
    events = await receive_until_done(communicator)
    tracks_event = next(event for event in events if event["type"] == "tracks")
    disliked = tracks_event["tracks"][0]

    frame = {"type": "feedback", "message_id": tracks_event["message_id"], "track_id": disliked["track_id"]}
    await communicator.send_json_to({**frame, "kind": "dislike"})
    ack = await communicator.receive_json_from(timeout=5)
    assert ack["type"] == "action" and ack["kind"] == "dislike"
    assert (await communicator.receive_json_from(timeout=5))["type"] == "done"
    stored = await database_sync_to_async(list)(
        Feedback.objects.filter(user=alice).values_list("track_id", "kind")
    )
    assert stored == [(disliked["track_id"], "dislike")]

    await communicator.send_json_to({"type": "message", "text": "I feel down today, play me something"})
    again = await receive_until_done(communicator)
    later = next(event for event in again if event["type"] == "tracks")["tracks"]
    assert disliked["track_id"] not in {track["track_id"] for track in later}
    await communicator.disconnect()


async def test_a_listener_corrects_the_mood_it_is_stored_and_used_next_turn(alice, charlie, small_catalog):
    communicator, _, _ = await connect(alice)
    await communicator.receive_json_from(timeout=5)
    await communicator.send_json_to({"type": "message", "text": "I'm so angry at my landlord"})
    events = await receive_until_done(communicator)
    read = next(event for event in events if event["type"] == "mood")
    assert read["mood"]["label"] == "anger"

    frame = {"type": "correct_mood", "message_id": read["message_id"], "label": "sadness"}
    await communicator.send_json_to(frame)
    corrected = await communicator.receive_json_from(timeout=5)
    assert corrected == {
        "type": "mood",
        "message_id": read["message_id"],
        "mood": {"label": "sadness", "valence": -0.7, "arousal": -0.4, "confidence": 1.0, "corrected": True},
    }
    assert (await communicator.receive_json_from(timeout=5))["type"] == "done"
    reading = await database_sync_to_async(MoodReading.objects.get)(message_id=read["message_id"])
    assert (reading.label, reading.perceived_label) == ("sadness", "anger") and reading.corrected_at

    # The next, unsure message keeps the mood the listener gave, and the picks follow it.
    await communicator.send_json_to({"type": "message", "text": "play something"})
    events = await receive_until_done(communicator)
    assert next(event for event in events if event["type"] == "mood")["mood"]["label"] == "sadness"
    await communicator.disconnect()

    # Nobody else can correct it, and made-up moods are refused.
    charlie_socket, _, _ = await connect(charlie)
    await charlie_socket.receive_json_from(timeout=5)
    await charlie_socket.send_json_to({**frame, "label": "joy"})
    assert "can't find that message" in (await charlie_socket.receive_json_from(timeout=5))["message"]
    await charlie_socket.receive_json_from(timeout=5)
    await charlie_socket.send_json_to({**frame, "label": "hangry"})
    assert "isn't one of the moods" in (await charlie_socket.receive_json_from(timeout=5))["message"]
    await charlie_socket.disconnect()
    reading = await database_sync_to_async(MoodReading.objects.get)(message_id=read["message_id"])
    assert reading.label == "sadness"


async def test_tokens_stream_before_the_message_and_the_reply_survives_a_reconnect(
    alice, small_catalog, llm_on
):
    llm_on.script(
        {"json": {"label": "neutral", "valence": 0, "arousal": 0, "confidence": 0.6}},
        {"text": "Hello Alice, lovely to see you again today."},
    )
    communicator, _, _ = await connect(alice)
    await communicator.receive_json_from(timeout=5)
    await communicator.send_json_to({"type": "message", "text": "hello"})
    events = await receive_until_done(communicator)
    types = [event["type"] for event in events]
    assert types.count("token") > 1 and types.index("token") < types.index("message")
    await communicator.disconnect()

    again, _, _ = await connect(alice)
    history = await again.receive_json_from(timeout=5)
    assert [m["text"] for m in history["messages"]] == [
        "hello",
        "Hello Alice, lovely to see you again today.",
    ]
    assert history["messages"][0]["mood"]["label"] == "neutral"
    await again.disconnect()


async def test_a_listener_who_leaves_mid_turn_finds_the_reply_when_they_come_back(alice, small_catalog):
    communicator, _, _ = await connect(alice)
    await communicator.receive_json_from(timeout=5)
    await communicator.send_json_to({"type": "message", "text": "play something calm"})
    await communicator.disconnect(timeout=20)  # gone before any reply arrived

    again, _, _ = await connect(alice)
    history = await again.receive_json_from(timeout=5)
    assert [m["role"] for m in history["messages"]] == ["user", "assistant"]
    assert history["messages"][1]["tracks"]
    await again.disconnect()


@database_sync_to_async
def _refuse_message_inserts(on: bool) -> None:
    """PostgreSQL itself refuses to store messages (as when the disk is full or it is going away)."""
    with connection.cursor() as cursor:
        if on:
            cursor.execute(
                "CREATE OR REPLACE FUNCTION refuse_insert() RETURNS trigger AS $$ "
                "BEGIN RAISE EXCEPTION 'refusing writes'; END; $$ LANGUAGE plpgsql"
            )
            cursor.execute(
                "CREATE TRIGGER refuse_messages BEFORE INSERT ON chat_message "
                "FOR EACH ROW EXECUTE FUNCTION refuse_insert()"
            )
        else:
            cursor.execute("DROP TRIGGER IF EXISTS refuse_messages ON chat_message")


async def test_a_message_that_could_not_be_stored_is_said_so_not_called_saved(alice):
    communicator, connected, _ = await connect(alice)
    assert connected
    await communicator.receive_json_from(timeout=10)  # history
    await _refuse_message_inserts(True)
    try:
        await communicator.send_json_to({"type": "message", "text": "I feel great today"})
        events = await receive_until_done(communicator)
        (error,) = [event for event in events if event["type"] == "error"]
        assert error["code"] == "not_saved" and "couldn't save your message" in error["message"]
        assert "is saved" not in error["message"]
    finally:
        await _refuse_message_inserts(False)
    assert not await database_sync_to_async(Message.objects.exists)()
    # The database takes writes again: the same socket carries on.
    await communicator.send_json_to({"type": "message", "text": "hello again"})
    events = await receive_until_done(communicator)
    assert any(event["type"] == "message" for event in events), events
    await communicator.disconnect()
