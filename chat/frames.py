"""What the page may send over the chat socket, and how a frame that breaks the rules is answered.

Frames are a union told apart by ``type``. ``frame_read`` is the one place a raw text frame
becomes a typed frame or a ``FrameRejected`` carrying the ``error`` code and sentence the page
shows. Codes the page and tests rely on: ``bad_frame`` (not JSON, not an object, an unknown
type, or a frame without what it needs: each type has its own sentence), ``too_large``,
``empty``, ``too_long``, and ``action_failed`` for a well-formed frame asking for something we
don't do (a feedback kind or a mood we don't have) — said as the service would say it.
"""

from __future__ import annotations

import re
from typing import Annotated, ClassVar, Literal, get_args

from django.conf import settings
from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    Field,
    StrictInt,
    StrictStr,
    TypeAdapter,
    ValidationError,
)
from pydantic_core import ErrorDetails, PydanticCustomError

from mood.labels import Emotion

from .cards import FeedbackKind
from .events import ErrorCode

EXPECTED = 'Expected {"type": "message", "text": "..."}.'
PLAYLIST_NAME_CHARS = 100


class FrameRejected(Exception):
    def __init__(self, code: ErrorCode, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


def _refused_outside(choices: tuple[str, ...], message: str) -> BeforeValidator:
    """Text outside ``choices`` is refused with ``action_failed``; a value that isn't text at all
    falls through to the type check (and so to the frame's ``bad_frame`` sentence)."""

    def check(value: object) -> object:
        if isinstance(value, str) and value not in choices:
            raise PydanticCustomError("action_failed", message, {"value": value})
        return value

    return BeforeValidator(check)


# Control characters a person never types (NUL cannot even be stored): dropped, newlines and tabs kept.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def _message_text(text: str) -> str:
    text = _CONTROL.sub("", text)
    if not text.strip():
        raise PydanticCustomError("empty", "Type a message first.")
    limit = settings.CHAT_MAX_MESSAGE_CHARS  # read per frame: a setting, not an import-time constant
    if len(text) > limit:
        raise PydanticCustomError("too_long", "Messages can be at most {limit} characters.", {"limit": limit})
    return text.strip()


def _playlist_name(name: str) -> str:
    name = _CONTROL.sub("", name)
    if not name.strip():
        raise ValueError("a playlist needs a name")
    return name[:PLAYLIST_NAME_CHARS]


class IncomingFrame(BaseModel):
    # What the listener is told when a frame of this type is malformed in any way not named above.
    malformed: ClassVar[tuple[ErrorCode, str]]


class MessageFrame(IncomingFrame):
    """What the listener typed; the text arrives stripped."""

    malformed = ("empty", "Type a message first.")
    type: Literal["message"]
    text: Annotated[StrictStr, AfterValidator(_message_text)]


class SavePlaylistFrame(IncomingFrame):
    """Save the tracks of one assistant message as a new Spotify playlist."""

    malformed = ("bad_frame", "Saving a playlist needs a message_id and a name.")
    type: Literal["save_playlist"]
    message_id: StrictInt
    name: Annotated[StrictStr, AfterValidator(_playlist_name)]


class FeedbackFrame(IncomingFrame):
    """👍/👎/skip on one track of an assistant message."""

    malformed = ("bad_frame", "Feedback needs a message_id, a track_id and a kind.")
    type: Literal["feedback"]
    message_id: StrictInt
    track_id: StrictInt
    kind: Annotated[
        FeedbackKind, _refused_outside(get_args(FeedbackKind), "Feedback can be like, dislike or skip.")
    ]


class CorrectMoodFrame(IncomingFrame):
    """The listener says how they really felt when they wrote one of their messages."""

    malformed = ("bad_frame", "A mood correction needs a message_id and a label.")
    type: Literal["correct_mood"]
    message_id: StrictInt
    label: Annotated[Emotion, _refused_outside(get_args(Emotion), "“{value}” isn't one of the moods I know.")]


class UndoFrame(IncomingFrame):
    """Undo one playlist change (the Undo button under the reply that made it)."""

    malformed = ("bad_frame", "Undo needs the write_id of the change.")
    type: Literal["undo"]
    write_id: StrictInt


class OlderFrame(IncomingFrame):
    """The page scrolled to the top of what it holds: the messages before ``before_id``."""

    malformed = ("bad_frame", "Older messages need before_id, the id of the oldest message shown.")
    type: Literal["older"]
    before_id: StrictInt


Frame = Annotated[
    MessageFrame | SavePlaylistFrame | FeedbackFrame | CorrectMoodFrame | UndoFrame | OlderFrame,
    Field(discriminator="type"),
]
_FRAMES: TypeAdapter[Frame] = TypeAdapter(Frame)
_BY_TYPE: dict[str, type[IncomingFrame]] = {
    get_args(frame.model_fields["type"].annotation)[0]: frame
    for frame in (MessageFrame, SavePlaylistFrame, FeedbackFrame, CorrectMoodFrame, UndoFrame, OlderFrame)
}
_OUR_CODES: set[ErrorCode] = {"empty", "too_long", "action_failed"}  # raised by the validators above


def frame_read(text: str | None) -> Frame:
    """The typed frame in a text frame (``None``: a binary one), or FrameRejected saying what is wrong."""
    if text is None:
        raise FrameRejected("bad_frame", "Send JSON text frames, not binary.")
    if len(text) > settings.CHAT_MAX_MESSAGE_CHARS * 4:
        raise FrameRejected("too_large", "That message is too large.")
    try:
        return _FRAMES.validate_json(text)
    except ValidationError as exc:
        raise _rejection(exc.errors()[0]) from None


def _rejection(error: ErrorDetails) -> FrameRejected:
    if error["type"] == "json_invalid":
        return FrameRejected("bad_frame", "That frame is not valid JSON.")
    if error["type"] in _OUR_CODES:
        return FrameRejected(error["type"], error["msg"])  # type: ignore[arg-type]
    frame = _BY_TYPE.get(str(error["loc"][0])) if error["loc"] else None
    return FrameRejected(*frame.malformed) if frame else FrameRejected("bad_frame", EXPECTED)
