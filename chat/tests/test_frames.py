"""Frames in and events out: every bad frame has its error code and sentence; events keep their wire shape."""

from __future__ import annotations

import json

import pytest

from chat.cards import TrackCard
from chat.events import DoneEvent, ErrorEvent, FeedbackActionEvent, MoodEvent, MoodShown, TracksEvent
from chat.frames import (
    CorrectMoodFrame,
    FeedbackFrame,
    FrameRejected,
    MessageFrame,
    SavePlaylistFrame,
    frame_read,
)


def frame(**content: object) -> str:
    return json.dumps(content)


@pytest.mark.parametrize(
    ("text", "code", "says"),
    [
        (None, "bad_frame", "not binary"),
        ("x" * 8001, "too_large", "too large"),
        ("this is not json", "bad_frame", "not valid JSON"),
        (json.dumps(["a", "list"]), "bad_frame", 'Expected {"type": "message"'),
        (json.dumps(5), "bad_frame", 'Expected {"type": "message"'),
        (frame(text="no type"), "bad_frame", 'Expected {"type": "message"'),
        (frame(type="dance"), "bad_frame", 'Expected {"type": "message"'),
        (frame(type="message"), "empty", "Type a message first"),
        (frame(type="message", text="   "), "empty", "Type a message first"),
        (frame(type="message", text=123), "empty", "Type a message first"),
        (frame(type="message", text="x" * 2001), "too_long", "at most 2000 characters"),
        (frame(type="save_playlist", message_id=1), "bad_frame", "needs a message_id and a name"),
        (frame(type="save_playlist", message_id="1", name="Mix"), "bad_frame", "needs a message_id"),
        (frame(type="save_playlist", message_id=1, name="  "), "bad_frame", "needs a message_id"),
        (frame(type="feedback", message_id=1, kind="like"), "bad_frame", "a track_id and a kind"),
        (frame(type="feedback", message_id=1, track_id=2.5, kind="like"), "bad_frame", "a track_id"),
        (frame(type="feedback", message_id=1, track_id=True, kind="like"), "bad_frame", "a track_id"),
        (frame(type="feedback", message_id=1, track_id=2, kind=7), "bad_frame", "a track_id and a kind"),
        (
            frame(type="feedback", message_id=1, track_id=2, kind="love"),
            "action_failed",
            "like, dislike or skip",
        ),
        (frame(type="correct_mood", label="joy"), "bad_frame", "needs a message_id and a label"),
        (frame(type="correct_mood", message_id=1, label=None), "bad_frame", "needs a message_id and a label"),
        (frame(type="correct_mood", message_id=1, label="hangry"), "action_failed", "“hangry” isn't one"),
    ],
)
def test_each_bad_frame_is_refused_with_its_code_and_a_sentence(text, code, says):
    with pytest.raises(FrameRejected) as rejected:
        frame_read(text)
    assert rejected.value.code == code and says in rejected.value.message


def test_the_message_limit_is_read_from_settings_when_the_frame_arrives(settings):
    settings.CHAT_MAX_MESSAGE_CHARS = 20
    with pytest.raises(FrameRejected) as rejected:
        frame_read(frame(type="message", text="x" * 21))
    assert rejected.value.message == "Messages can be at most 20 characters."
    with pytest.raises(FrameRejected) as rejected:
        frame_read("x" * 81)
    assert rejected.value.code == "too_large"


def test_good_frames_come_out_typed():
    assert frame_read(frame(type="message", text="  hi there ")) == MessageFrame(
        type="message", text="hi there"
    )
    saved = frame_read(frame(type="save_playlist", message_id=3, name="n" * 150, extra="ignored"))
    assert saved == SavePlaylistFrame(type="save_playlist", message_id=3, name="n" * 100)
    assert frame_read(frame(type="feedback", message_id=3, track_id=4, kind="skip")) == FeedbackFrame(
        type="feedback", message_id=3, track_id=4, kind="skip"
    )
    assert frame_read(frame(type="correct_mood", message_id=3, label="fear")) == CorrectMoodFrame(
        type="correct_mood", message_id=3, label="fear"
    )


def test_events_keep_their_wire_shape():
    assert DoneEvent().wire() == {"type": "done"}
    assert DoneEvent(llm_ms=1.5, turn_ms=20.0).wire() == {"type": "done", "llm_ms": 1.5, "turn_ms": 20.0}
    assert ErrorEvent(code="empty", message="Type a message first.").wire() == {
        "type": "error",
        "code": "empty",
        "message": "Type a message first.",
    }
    read = MoodShown(label="joy", valence=0.8, arousal=0.5, confidence=0.7)
    assert MoodEvent(message_id=1, mood=read).wire() == {
        "type": "mood",
        "message_id": 1,
        "mood": {"label": "joy", "valence": 0.8, "arousal": 0.5, "confidence": 0.7},
    }
    assert FeedbackActionEvent(kind="like", track_id=4, text="Noted.").wire() == {
        "type": "action",
        "action": "feedback",
        "kind": "like",
        "track_id": 4,
        "text": "Noted.",
    }
    card = TrackCard(spotify_id="sp1", name="Song", kind="history", valence=None)
    tracks = TracksEvent(message_id=2, tracks=[card]).wire()["tracks"]
    assert tracks[0]["valence"] is None and "score" not in tracks[0]  # a null that is data stays


def test_control_characters_nobody_types_are_dropped_and_nul_never_reaches_the_database():
    frame = frame_read('{"type": "message", "text": "hi\\u0000 there\\u0007\\nok"}')
    assert frame.text == "hi there\nok"
    with pytest.raises(FrameRejected) as rejected:
        frame_read('{"type": "message", "text": "\\u0000\\u0000"}')
    assert rejected.value.code == "empty"


def test_json_nested_thousands_deep_is_refused_as_bad_json_not_a_crash():
    for depth, code in ((975, "bad_frame"), (3000, "bad_frame"), (5000, "too_large")):
        with pytest.raises(FrameRejected) as rejected:
            frame_read('{"type": "message", "text": ' + "[" * depth + "]" * depth + "}")
        assert rejected.value.code == code
