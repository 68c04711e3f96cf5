"""What the server sends over the chat socket: one model per event, so each frame has one definition.

``wire()`` is the JSON-ready dict that goes out; ``static/js/chat.js`` reads these keys. Keys
that are optional on the wire (``corrected`` on a mood, the timings on ``done``, a message's
``mood``) are left out when unset rather than sent as null, as the page has always received them.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from mood.perception import EmotionEstimate

from .cards import FeedbackKind, TrackCard

ErrorCode = Literal[
    "bad_frame",  # not JSON, not an object, an unknown type, or a frame missing what it needs
    "too_large",  # a frame far past the message limit, refused before parsing
    "empty",  # a message with no text
    "too_long",  # a message past CHAT_MAX_MESSAGE_CHARS
    "action_failed",  # a well-formed request that could not be done; the message says why
    "turn_failed",
    "not_saved",  # the message could not be stored; the page puts its text back in the box
    "internal",  # a crash on our side; the message says what was kept
    "llm_unavailable",  # the model failed before answering; the offline agent answers instead
    "llm_interrupted",  # the model failed partway; what it said and did stands
]


def _unset(value: object) -> bool:
    return value is None


class Event(BaseModel):
    model_config = ConfigDict(frozen=True)

    def wire(self) -> dict[str, Any]:
        return self.model_dump(mode="json")


class MoodShown(BaseModel):
    label: str
    valence: float
    arousal: float
    confidence: float
    corrected: bool | None = Field(default=None, exclude_if=_unset)  # set in history and on a correction
    # A command ("add the first one to Gym"): the page keeps the mood line out of the way.
    quiet: bool | None = Field(default=None, exclude_if=_unset)

    @classmethod
    def of(cls, mood: EmotionEstimate, *, quiet: bool = False) -> MoodShown:
        return cls(
            label=mood.label,
            valence=mood.valence,
            arousal=mood.arousal,
            confidence=mood.confidence,
            quiet=quiet or None,
        )


class ShownMessage(BaseModel):
    """One stored message as the history shows it; only a listener's message has a mood."""

    id: int
    role: Literal["user", "assistant"]
    text: str
    tracks: list[TrackCard]
    mood: MoodShown | None = Field(default=None, exclude_if=_unset)


class PlaylistShown(BaseModel):
    spotify_id: str
    name: str


class HistoryEvent(Event):
    """The latest page of the conversation; ``older`` events page back from its first message."""

    type: Literal["history"] = "history"
    messages: list[ShownMessage]
    has_more: bool = False  # earlier messages exist: the page asks for them when scrolled to the top
    # The listener's standing vote on each track shown in these messages, by track id.
    votes: dict[str, FeedbackKind] = {}


class OlderEvent(HistoryEvent):
    """The page of messages just before the oldest one the page holds."""

    type: Literal["older"] = "older"  # type: ignore[assignment]


class NoticeEvent(Event):
    """Something the listener should act on, with where to do it (e.g. reconnect Spotify)."""

    type: Literal["notice"] = "notice"
    text: str
    url: str


class TypingEvent(Event):
    type: Literal["typing"] = "typing"


class MoodEvent(Event):
    type: Literal["mood"] = "mood"
    message_id: int
    mood: MoodShown


class TokenEvent(Event):
    """A piece of the reply as the model streams it; the ``message`` event then carries it whole."""

    type: Literal["token"] = "token"
    text: str


class MessageEvent(Event):
    type: Literal["message"] = "message"
    id: int
    role: Literal["assistant"] = "assistant"
    text: str


class TracksEvent(Event):
    type: Literal["tracks"] = "tracks"
    message_id: int
    tracks: list[TrackCard]


class PlaylistActionEvent(Event):
    type: Literal["action"] = "action"
    action: Literal["playlist_created", "playlist_tracks_added", "playlist_tracks_removed"]
    text: str
    playlist: PlaylistShown
    write_id: int | None = None  # what the page's Undo button undoes
    in_reply: bool = False  # the reply that follows says it: the page adds Undo there, not a bubble


class UndoneEvent(Event):
    type: Literal["action"] = "action"
    action: Literal["undone"] = "undone"
    text: str


class FeedbackActionEvent(Event):
    type: Literal["action"] = "action"
    action: Literal["feedback"] = "feedback"
    kind: FeedbackKind
    track_id: int
    text: str


ActionEvent = PlaylistActionEvent | FeedbackActionEvent


class ErrorEvent(Event):
    type: Literal["error"] = "error"
    code: ErrorCode
    message: str  # safe and useful to show the listener


class DoneEvent(Event):
    """Ends the answer to every frame; after a turn it carries the server's own timings."""

    type: Literal["done"] = "done"
    llm_ms: float | None = Field(default=None, exclude_if=_unset)
    turn_ms: float | None = Field(default=None, exclude_if=_unset)
