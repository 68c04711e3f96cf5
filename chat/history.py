"""The conversation as the page pages through it: the latest messages first, older ones on scroll up.

A page carries the listener's standing vote on every track it shows, so a ♥ given yesterday is
still marked after a reload (votes belong to the track, not to the card that was voted on).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import cast

from django.db.models import Q

from accounts.models import User
from recommender.models import Feedback

from .cards import FeedbackKind
from .events import HistoryEvent, OlderEvent, ShownMessage
from .models import Message
from .selectors import card_covers, conversation_messages, message_shown

PAGE = 50
VOTE_KINDS = (Feedback.Kind.LIKE, Feedback.Kind.DISLIKE)


def history_latest(*, user: User, limit: int = PAGE) -> HistoryEvent:
    """The latest page of the listener's current conversation."""
    messages = conversation_messages(user=user, limit=limit + 1)
    has_more = len(messages) > limit
    messages = messages[-limit:] if has_more else messages
    return HistoryEvent(messages=messages, has_more=has_more, votes=votes_on(user=user, messages=messages))


def history_before(*, user: User, before_id: int, limit: int = PAGE) -> OlderEvent:
    """The page just before message ``before_id``, from the same conversation; nothing for a message
    that is not this listener's (the page learns nothing about anyone else's ids)."""
    anchor = (
        Message.objects.filter(pk=before_id, conversation__user=user)
        .values("conversation_id", "created_at")
        .first()
    )
    if anchor is None:
        return OlderEvent(messages=[], has_more=False)
    at = anchor["created_at"]
    earlier = (
        Message.objects.filter(conversation_id=anchor["conversation_id"])
        .filter(Q(created_at__lt=at) | Q(created_at=at, id__lt=before_id))  # the page's own order
        .select_related("mood")
        .annotate(covers=card_covers())  # covers found since the cards were stored, in the same query
        .order_by("-created_at", "-id")[: limit + 1]
    )
    rows = list(earlier)
    has_more = len(rows) > limit
    messages = [message_shown(message) for message in reversed(rows[:limit])]
    return OlderEvent(messages=messages, has_more=has_more, votes=votes_on(user=user, messages=messages))


def votes_on(*, user: User, messages: Iterable[ShownMessage]) -> dict[str, FeedbackKind]:
    """The listener's latest like/dislike on each track in ``messages`` (one query)."""
    track_ids = {card.track_id for message in messages for card in message.tracks if card.track_id}
    if not track_ids:
        return {}
    latest = (
        Feedback.objects.filter(user=user, track_id__in=track_ids, kind__in=VOTE_KINDS)
        .order_by("track_id", "-created_at", "-id")
        .distinct("track_id")
        .values_list("track_id", "kind")
    )
    return {str(track_id): cast(FeedbackKind, kind) for track_id, kind in latest}
