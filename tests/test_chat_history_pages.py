"""History as the page pages through it: the latest page on connect, older pages on scroll up, votes kept."""

from __future__ import annotations

import pytest
from channels.db import database_sync_to_async

from chat.history import history_before, history_latest
from chat.models import Message
from recommender.models import Feedback
from tests.factories import ConversationFactory, MessageFactory
from tests.test_chat_socket import connect, receive_until_done

pytestmark = pytest.mark.django_db(transaction=True)


def a_long_conversation(user, count: int) -> list[Message]:
    conversation = ConversationFactory.create(user=user)
    return [
        MessageFactory.create(
            conversation=conversation,
            role=Message.Role.USER if n % 2 == 0 else Message.Role.ASSISTANT,
            text=f"line {n}",
        )
        for n in range(count)
    ]


def test_the_latest_page_ends_at_the_latest_message_and_says_more_exist(alice):
    a_long_conversation(alice, 120)
    page = history_latest(user=alice, limit=50)
    assert [m.text for m in page.messages] == [f"line {n}" for n in range(70, 120)]
    assert page.has_more


def test_older_pages_walk_back_to_the_first_message_without_gaps_or_repeats(alice):
    a_long_conversation(alice, 120)
    page = history_latest(user=alice, limit=50)
    seen = [m.text for m in page.messages]
    while page.has_more:
        page = history_before(user=alice, before_id=page.messages[0].id, limit=50)
        seen = [m.text for m in page.messages] + seen
    assert seen == [f"line {n}" for n in range(120)]


def test_messages_written_in_the_same_instant_are_paged_by_id(alice):
    messages = a_long_conversation(alice, 6)
    Message.objects.filter(pk__in=[m.pk for m in messages]).update(created_at=messages[0].created_at)
    page = history_latest(user=alice, limit=3)
    assert [m.text for m in page.messages] == ["line 3", "line 4", "line 5"]
    older = history_before(user=alice, before_id=page.messages[0].id, limit=3)
    assert [m.text for m in older.messages] == ["line 0", "line 1", "line 2"]
    assert not older.has_more


def test_nobody_pages_through_someone_elses_conversation(alice, charlie):
    messages = a_long_conversation(alice, 10)
    page = history_before(user=charlie, before_id=messages[-1].pk)
    assert page.messages == [] and not page.has_more


async def test_older_pages_come_over_the_socket_and_votes_survive_a_reconnect(alice, small_catalog):
    await database_sync_to_async(a_long_conversation)(alice, 60)
    communicator, _, _ = await connect(alice)
    history = await communicator.receive_json_from(timeout=5)
    assert history["has_more"] and len(history["messages"]) == 50
    await communicator.send_json_to({"type": "older", "before_id": history["messages"][0]["id"]})
    older, done = await receive_until_done(communicator)
    assert older["type"] == "older" and done["type"] == "done"
    assert [m["text"] for m in older["messages"]] == [f"line {n}" for n in range(10)]
    assert older["has_more"] is False

    await communicator.send_json_to({"type": "message", "text": "I feel down today, play me something"})
    tracks = next(e for e in await receive_until_done(communicator) if e["type"] == "tracks")
    liked, disliked = tracks["tracks"][0]["track_id"], tracks["tracks"][1]["track_id"]
    for track_id, kind in ((liked, "dislike"), (liked, "like"), (disliked, "dislike")):
        frame = {"type": "feedback", "message_id": tracks["message_id"], "track_id": track_id, "kind": kind}
        await communicator.send_json_to(frame)
        await receive_until_done(communicator)
    await communicator.disconnect()

    again, _, _ = await connect(alice)
    history = await again.receive_json_from(timeout=5)
    # The latest vote on each track stands: the ♥ after the ✕ is what the card shows.
    assert history["votes"] == {str(liked): "like", str(disliked): "dislike"}
    await again.disconnect()


async def test_a_malformed_older_frame_gets_a_clear_error(alice):
    communicator, _, _ = await connect(alice)
    await communicator.receive_json_from(timeout=5)
    await communicator.send_json_to({"type": "older", "before_id": "first"})
    error, _ = await receive_until_done(communicator)
    assert error["code"] == "bad_frame" and "before_id" in error["message"]
    await communicator.disconnect()


def test_votes_on_tracks_in_the_page_take_one_query(alice, small_catalog, django_assert_num_queries):
    conversation = ConversationFactory.create(user=alice)
    cards = [
        {"kind": "named", "track_id": t.pk, "spotify_id": t.spotify_id, "name": t.name} for t in small_catalog
    ]
    for _ in range(5):
        MessageFactory.create(conversation=conversation, role=Message.Role.ASSISTANT, tracks=cards)
    Feedback.objects.create(user=alice, track=small_catalog[0], kind="like")
    with django_assert_num_queries(3):  # the messages (+1 to know more exist), their votes, nothing per card
        page = history_latest(user=alice, limit=4)
    assert page.votes == {str(small_catalog[0].pk): "like"}
