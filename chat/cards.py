"""Track cards: one track as shown with a reply, sent to the page and stored in ``Message.tracks``.

A card says what it is (``kind``) instead of leaving readers to guess from its keys:

- ``pick``: the recommender chose it; it carries the score, its parts and the served item that
  feedback is credited to.
- ``named``: the listener (or the model) named it and it was grounded in the catalog or on Spotify.
- ``history``: it comes from the listener's own Spotify history (top tracks, recent plays).

Rows stored before ``kind`` existed are read by their shape: only picks had a ``score``, and a named
track was the one whose reason is ``NAMED_REASON``. What is stored and sent keeps the keys it always
had (picks have the pick-only ones, other cards don't), plus ``kind``, and ``image`` (the album
cover's URL) once there is one: a card stored without a cover gets its album's current one when
the history is read (``chat.selectors.conversation_messages``).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    SerializerFunctionWrapHandler,
    ValidationError,
    field_validator,
    model_serializer,
    model_validator,
)

from recommender.types import RecommendedTrack

logger = logging.getLogger(__name__)

CardKind = Literal["pick", "named", "history"]
FeedbackKind = Literal["like", "dislike", "skip"]  # what the listener can say about a card
NAMED_REASON = "the track you asked for"
PICK_ONLY = ("score", "parts", "served_item_id", "lifted")


class TrackCard(BaseModel):
    """One track on screen; defaults cover rows stored by older versions, which had fewer keys."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    track_id: int | None = None
    spotify_id: str
    name: str
    artists: list[str] = []
    album: str = ""
    duration_ms: int | None = None
    genre: str = ""
    valence: float | None = None
    energy: float | None = None
    score: float | None = None
    reason: str = ""
    sources: list[str] = []
    parts: dict[str, float] = {}
    served_item_id: int | None = None  # the served list item that feedback on a pick is credited to
    lifted: bool = False  # a pick chosen to lift a low mood rather than meet it
    mood: str = ""  # the track's learned mood ("calm"), shown as "calm · 82%"
    mood_confidence: float | None = None
    image: str = ""  # the album cover's URL, "" when unknown
    kind: CardKind

    @model_validator(mode="before")
    @classmethod
    def _kind_from_old_shape(cls, data: Any) -> Any:
        if isinstance(data, dict) and "kind" not in data:
            return {**data, "kind": _old_kind(data)}
        return data

    @field_validator("image")
    @classmethod
    def _web_image(cls, value: str) -> str:
        """Only a web address goes into an ``<img src>``; anything else reads as no cover."""
        return value if value.startswith(("https://", "http://")) else ""

    @model_serializer(mode="wrap")
    def _stored(self, handler: SerializerFunctionWrapHandler) -> dict[str, Any]:
        data = handler(self)
        if self.kind != "pick":
            for key in PICK_ONLY:
                data.pop(key, None)
        if not self.mood:  # rows from before track moods keep their keys
            data.pop("mood", None)
            data.pop("mood_confidence", None)
        if not self.image:  # nor do they gain a cover key while none is known
            data.pop("image", None)
        return data

    @classmethod
    def from_pick(cls, pick: RecommendedTrack) -> TrackCard:
        return cls.model_validate({**pick.as_dict(), "kind": "pick"})

    @property
    def described(self) -> str:
        """How a reply names the track: “Title” by Artist, Artist."""
        return f"“{self.name}” by {', '.join(self.artists) or 'unknown artist'}"

    def stored(self) -> dict[str, Any]:
        """The JSON kept in ``Message.tracks`` and sent in ``tracks`` events."""
        return self.model_dump(mode="json")


def _old_kind(data: dict) -> CardKind:
    if "score" in data:
        return "pick"
    return "named" if data.get("reason") == NAMED_REASON else "history"


def cards_read(rows: Iterable[object]) -> list[TrackCard]:
    """Cards from stored JSON; a row no version of the app could have written is logged and left out,
    so one damaged row never hides a whole conversation."""
    cards = []
    for row in rows:
        try:
            cards.append(TrackCard.model_validate(row))
        except ValidationError:
            logger.warning("unreadable track card left out: %.200r", row)
    return cards


def cards_stored(cards: Iterable[TrackCard]) -> list[dict[str, Any]]:
    return [card.stored() for card in cards]


def from_history(cards: list[TrackCard]) -> bool:
    """The list is the listener's own history, not something the agent recommended."""
    return bool(cards) and all(card.kind == "history" for card in cards)
