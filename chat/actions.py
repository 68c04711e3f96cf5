"""What the listener asks the app to *do* on Spotify from the chat, with errors said plainly."""

from __future__ import annotations

from accounts.models import User
from recommender.services import feedback_record
from spotify import services as spotify_services
from spotify.errors import SpotifyError, said_to_listener
from spotify.services import PlaylistItemsNotAdded

from .models import Message


class ActionError(Exception):
    """An action failed; ``message`` is safe and useful to show the listener."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def playlist_save_from_message(*, user: User, message_id: int, name: str) -> dict:
    """Save the tracks of one of *this listener's* assistant messages as a new Spotify playlist."""
    message = (
        Message.objects.filter(pk=message_id, conversation__user=user, role=Message.Role.ASSISTANT)
        .only("tracks")
        .first()
    )
    if message is None or not message.tracks:
        raise ActionError("I can't find those tracks any more.")
    track_ids = [track["spotify_id"] for track in message.tracks]
    try:
        playlist = spotify_services.playlist_create_with_tracks(
            user=user, name=name, track_spotify_ids=track_ids
        )
    except ValueError as exc:
        raise ActionError(str(exc)) from exc
    except PlaylistItemsNotAdded as exc:
        raise ActionError(
            f"I created “{exc.playlist.name}” on your Spotify, but adding the tracks failed: "
            f"{said_to_listener(exc.cause)} The playlist is there, empty."
        ) from exc
    except SpotifyError as exc:
        raise ActionError(said_to_listener(exc)) from exc
    for track in message.tracks:
        if track.get("track_id"):
            feedback_record(
                user=user,
                track_id=track["track_id"],
                kind="saved",
                served_item_id=track.get("served_item_id"),
            )
    return {
        "type": "action",
        "action": "playlist_created",
        "text": f"Saved {len(track_ids)} tracks to “{playlist.name}” on your Spotify.",
        "playlist": {"spotify_id": playlist.spotify_id, "name": playlist.name},
    }


FEEDBACK_REPLIES = {
    "like": "Noted — more like this.",
    "dislike": "Got it — I won't play that again.",
    "skip": "Skipped — I'll lean away from that.",
}


def feedback_give(*, user: User, message_id: int, track_id: int, kind: str) -> dict:
    """👍/👎/skip on a track from one of *this listener's* recommendation messages."""
    if kind not in FEEDBACK_REPLIES:
        raise ActionError("Feedback can be like, dislike or skip.")
    message = Message.objects.filter(
        pk=message_id, conversation__user=user, role=Message.Role.ASSISTANT
    ).first()
    track = next((t for t in (message.tracks if message else []) if t.get("track_id") == track_id), None)
    if track is None:
        raise ActionError("I can't find that track any more.")
    feedback_record(user=user, track_id=track_id, kind=kind, served_item_id=track.get("served_item_id"))
    return {
        "type": "action",
        "action": "feedback",
        "kind": kind,
        "track_id": track_id,
        "text": FEEDBACK_REPLIES[kind],
    }
