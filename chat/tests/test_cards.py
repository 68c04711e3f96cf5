"""Track cards: what a card is, stored with today's keys, and rows stored before ``kind`` read right."""

from __future__ import annotations

import pytest

from chat.agent.tools import TurnState, call_tool
from chat.cards import TrackCard, cards_read, from_history
from chat.models import Message
from chat.selectors import agent_memory, conversation_messages
from chat.services import assistant_message_create
from mood.perception import EmotionEstimate
from recommender.types import RecommendedTrack
from tests.factories import ConversationFactory, MessageFactory

BASE = {
    "track_id": 7,
    "spotify_id": "sp7",
    "name": "Rainy Window",
    "artists": ["Nora Vale"],
    "album": "Weather",
    "duration_ms": 200_000,
    "genre": "folk",
    "valence": 0.2,
    "energy": None,
}
# As the app stored them before cards said what they are.
OLD_PICK = BASE | {
    "score": 0.91,
    "reason": "gentle, like you asked",
    "sources": ["mood"],
    "parts": {"fit": 0.5},
    "served_item_id": 12,
    "lifted": False,
}
OLD_FIRST_PICK = {key: OLD_PICK[key] for key in (*BASE, "score", "reason")}  # the first release's shape
OLD_HISTORY = BASE | {"reason": "your #1", "sources": []}
OLD_NAMED = BASE | {"reason": "the track you asked for", "sources": []}


def test_old_rows_are_read_by_their_shape():
    pick, first, history, named = cards_read([OLD_PICK, OLD_FIRST_PICK, OLD_HISTORY, OLD_NAMED])
    assert (pick.kind, first.kind, history.kind, named.kind) == ("pick", "pick", "history", "named")
    assert pick.served_item_id == 12 and pick.score == 0.91 and first.served_item_id is None
    assert history.energy is None and history.artists == ["Nora Vale"]


def test_what_is_stored_keeps_the_old_keys_and_adds_the_kind():
    for old in (OLD_PICK, OLD_HISTORY, OLD_NAMED):
        (card,) = cards_read([old])
        assert card.stored() == old | {"kind": card.kind}
    assert TrackCard.model_validate(OLD_PICK | {"kind": "pick"}).stored() == OLD_PICK | {"kind": "pick"}


def test_a_pick_from_the_recommender_is_a_pick_card():
    pick = RecommendedTrack(
        track_id=7,
        spotify_id="sp7",
        name="Rainy Window",
        artists=["Nora Vale"],
        album="Weather",
        duration_ms=200_000,
        genre="folk",
        valence=0.2,
        energy=None,
        score=0.91234567,
        reason="gentle",
        mood="sad",
        mood_confidence=0.8,
    )
    card = TrackCard.from_pick(pick)
    assert card.kind == "pick" and card.stored() == pick.as_dict() | {"kind": "pick"}


def test_a_pick_carries_its_learned_mood_for_the_card():
    card = TrackCard.model_validate(OLD_PICK | {"kind": "pick", "mood": "calm", "mood_confidence": 0.82})

    assert card.stored()["mood"] == "calm" and card.stored()["mood_confidence"] == 0.82
    assert "mood" not in TrackCard.model_validate(OLD_PICK).stored()


def test_an_unreadable_row_is_left_out_not_fatal():
    assert [card.name for card in cards_read([{"name": "no id"}, "junk", OLD_HISTORY])] == ["Rainy Window"]


def test_a_list_is_history_only_when_every_card_is():
    history, named, pick = cards_read([OLD_HISTORY, OLD_NAMED, OLD_PICK])
    assert from_history([history, history]) and not from_history([])
    assert not from_history([history, named]) and not from_history([pick])


@pytest.mark.django_db
def test_the_agent_remembers_old_stored_lists_as_picks_or_history(alice):
    conversation = ConversationFactory.create(user=alice)
    MessageFactory.create(conversation=conversation, role="assistant", text="picks", tracks=[OLD_PICK])
    MessageFactory.create(conversation=conversation, role="assistant", text="played", tracks=[OLD_HISTORY])
    memory = agent_memory(conversation=conversation)
    assert [card.kind for card in memory.shown] == ["history"]
    assert [card.kind for card in memory.picked] == ["pick"]

    state = TurnState(
        user=alice,
        conversation=conversation,
        text="why did you pick that?",
        mood=EmotionEstimate("neutral", 0.0, 0.0, 0.3),
        shown=memory.shown,
        picked=memory.picked,
    )
    result = call_tool(state, "explain_track", {})
    assert result.ok and result.summary.startswith("That list is your own Spotify history")
    assert "gentle, like you asked" in result.summary


@pytest.mark.django_db
def test_history_sends_old_rows_with_their_keys_and_new_rows_with_a_kind(alice):
    conversation = ConversationFactory.create(user=alice)
    MessageFactory.create(conversation=conversation, role="assistant", text="old", tracks=[OLD_PICK])
    (new,) = cards_read([OLD_HISTORY])
    assistant_message_create(conversation=conversation, text="new", tracks=[new])
    assert Message.objects.get(text="new").tracks == [OLD_HISTORY | {"kind": "history"}]
    old_shown, new_shown = (m.model_dump(mode="json") for m in conversation_messages(user=alice))
    assert old_shown == {
        "id": old_shown["id"],
        "role": "assistant",
        "text": "old",
        "tracks": [OLD_PICK | {"kind": "pick"}],
    }
    assert new_shown["tracks"] == [OLD_HISTORY | {"kind": "history"}] and "mood" not in new_shown
