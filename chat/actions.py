"""What the listener asks the app to *do* from the chat page's buttons, with errors said plainly.

Each action acts only on this listener's own messages and returns the event that tells the page
what was done; ``ActionError`` carries the sentence to show when it could not be done.
"""

from __future__ import annotations

from accounts.models import User
from recommender.services import feedback_record
from spotify import playlist_writes
from spotify.errors import SpotifyError, said_to_listener
from spotify.playlist_writes import PlaylistWriteUncertain, UndoError
from spotify.services import PlaylistItemsNotAdded

from .cards import FeedbackKind, cards_read
from .events import FeedbackActionEvent, MoodEvent, PlaylistActionEvent, PlaylistShown, UndoneEvent
from .models import Message
from .selectors import mood_shown
from .services import MoodCorrectionError, mood_correct


class ActionError(Exception):
    """An action failed; ``message`` is safe and useful to show the listener."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def playlist_save_from_message(*, user: User, message_id: int, name: str) -> PlaylistActionEvent:
    """Save the tracks of one of *this listener's* assistant messages as a new Spotify playlist."""
    message = (
        Message.objects.filter(pk=message_id, conversation__user=user, role=Message.Role.ASSISTANT)
        .only("tracks")
        .first()
    )
    cards = cards_read(message.tracks) if message else []
    if not cards:
        raise ActionError("I can't find those tracks any more.")
    track_ids = [card.spotify_id for card in cards]
    try:
        playlist, write = playlist_writes.playlist_create_logged(
            user=user, name=name, track_spotify_ids=track_ids
        )
    except ValueError as exc:
        raise ActionError(str(exc)) from exc
    except PlaylistWriteUncertain as exc:
        raise ActionError(exc.message) from exc
    except PlaylistItemsNotAdded as exc:
        raise ActionError(
            f"I created “{exc.playlist.name}” on your Spotify, but adding the tracks failed: "
            f"{said_to_listener(exc.cause)} The playlist is there, empty."
        ) from exc
    except SpotifyError as exc:
        raise ActionError(said_to_listener(exc)) from exc
    for card in cards:
        if card.track_id:
            feedback_record(
                user=user, track_id=card.track_id, kind="saved", served_item_id=card.served_item_id
            )
    return PlaylistActionEvent(
        action="playlist_created",
        text=f"Saved {len(track_ids)} tracks to “{playlist.name}” on your Spotify.",
        playlist=PlaylistShown(spotify_id=playlist.spotify_id, name=playlist.name),
        write_id=write.pk,
    )


def write_undo_give(*, user: User, write_id: int) -> UndoneEvent:
    """Undo one of *this listener's* playlist changes (only theirs, only within the undo window)."""
    try:
        return UndoneEvent(text=playlist_writes.write_undo(user=user, write_id=write_id))
    except UndoError as exc:
        raise ActionError(exc.message) from exc
    except SpotifyError as exc:
        raise ActionError(said_to_listener(exc)) from exc


FEEDBACK_REPLIES: dict[FeedbackKind, str] = {
    "like": "Noted — more like this.",
    "dislike": "Got it — I won't play that again.",
    "skip": "Skipped — I'll lean away from that.",
}


def feedback_give(*, user: User, message_id: int, track_id: int, kind: FeedbackKind) -> FeedbackActionEvent:
    """👍/👎/skip on a track from one of *this listener's* recommendation messages."""
    if kind not in FEEDBACK_REPLIES:
        raise ActionError("Feedback can be like, dislike or skip.")
    message = Message.objects.filter(
        pk=message_id, conversation__user=user, role=Message.Role.ASSISTANT
    ).first()
    card = next((c for c in (cards_read(message.tracks) if message else []) if c.track_id == track_id), None)
    if card is None:
        raise ActionError("I can't find that track any more.")
    feedback_record(user=user, track_id=track_id, kind=kind, served_item_id=card.served_item_id)
    return FeedbackActionEvent(kind=kind, track_id=track_id, text=FEEDBACK_REPLIES[kind])


def mood_correction_give(*, user: User, message_id: int, label: str) -> MoodEvent:
    """The listener's own word on how they felt when they wrote one of their messages."""
    try:
        reading = mood_correct(user=user, message_id=message_id, label=label)
    except MoodCorrectionError as exc:
        raise ActionError(str(exc)) from exc
    return MoodEvent(message_id=message_id, mood=mood_shown(reading))
