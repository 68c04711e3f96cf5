"""Playlist writes that can be trusted: logged, undoable for a while, and checked when Spotify is silent.

Every write the chat or a button makes goes through here and leaves a ``PlaylistWrite``:

- **undo** reverses the listener's latest write (or a given one) within ``UNDO_WINDOW``: a
  created playlist is removed from their library (Spotify's way to delete one they own), added
  tracks are removed, removed tracks are added back;
- **no duplicates**: tracks already in a playlist are not added again, and a create of a name
  whose earlier create is still being checked is refused rather than made twice;
- **no orphans**: a create Spotify did not answer in time may still happen on Spotify's side.
  It is recorded as *uncertain* before the call, and ``uncertain_create_check`` (a Celery task,
  a few times over some minutes) looks for it: found, it gets its tracks and is mirrored; found
  twice, the extra copy is removed; never found, the write is marked as not done.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from accounts.models import User
from catalog.models import Playlist

from .errors import SpotifyError, SpotifyNoAnswer
from .models import PlaylistWrite
from .services import (
    PlaylistItemsNotAdded,
    playlist_add_tracks,
    playlist_create_with_tracks,
    playlist_remove_tracks,
    playlist_store_found,
    spotify_client_for,
)

logger = logging.getLogger(__name__)

UNDO_WINDOW = timedelta(minutes=30)
# How long an unanswered create is looked for before it is declared not done.
CHECK_FOR = timedelta(minutes=10)
CHECK_DELAYS = (10, 30, 60, 120, 240)  # seconds between looks (the task's countdowns)


class PlaylistWriteUncertain(SpotifyError):
    """Spotify did not answer a create in time; ``write`` is being checked (nothing is retried blindly)."""

    def __init__(self, write: PlaylistWrite) -> None:
        super().__init__(
            f"Spotify is slow to answer, so I can't tell yet whether “{write.name}” was created. "
            "I'm checking and won't make a second copy; it will show up here once I know.",
            permanent=False,
        )
        self.write = write


class UndoError(Exception):
    """Nothing to undo, or the undo failed; ``message`` says which, for the listener."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass
class EditDone:
    """An add or removal: the write logged (None when nothing changed) and the tracks left alone."""

    playlist: Playlist
    write: PlaylistWrite | None
    changed: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)  # already there (add) or not there (remove)


def playlist_create_logged(
    *, user: User, name: str, track_spotify_ids: Sequence[str], queue_check: bool = True
) -> tuple[Playlist, PlaylistWrite]:
    """Create a playlist with tracks and log it; PlaylistWriteUncertain when Spotify went silent."""
    name = name.strip()[:100]
    checking = (
        PlaylistWrite.objects.filter(user=user, state=PlaylistWrite.State.UNCERTAIN, name__iexact=name)
        .order_by("-created_at")
        .first()
    )
    if checking is not None:
        raise PlaylistWriteUncertain(checking)
    known = list(Playlist.objects.filter(owner=user).values_list("spotify_id", flat=True))
    write = PlaylistWrite.objects.create(
        user=user,
        name=name,
        action=PlaylistWrite.Action.CREATED,
        track_spotify_ids=list(track_spotify_ids),
        state=PlaylistWrite.State.UNCERTAIN,
        known_before=known,
    )
    try:
        playlist = playlist_create_with_tracks(user=user, name=name, track_spotify_ids=track_spotify_ids)
    except SpotifyNoAnswer as exc:
        write.was_uncertain = True
        write.save(update_fields=["was_uncertain"])
        if queue_check:
            _check_later(write, 0)
        raise PlaylistWriteUncertain(write) from exc
    except PlaylistItemsNotAdded as exc:
        _settle(write, PlaylistWrite.State.DONE, playlist=exc.playlist, track_spotify_ids=[])
        raise
    except Exception:
        write.delete()  # refused outright: nothing happened on Spotify
        raise
    _settle(write, PlaylistWrite.State.DONE, playlist=playlist)
    return playlist, write


def playlist_add_logged(*, user: User, playlist: Playlist, track_spotify_ids: Sequence[str]) -> EditDone:
    """Add the tracks not already in the playlist (asking twice never makes a duplicate)."""
    inside = set(playlist.items.values_list("track__spotify_id", flat=True))
    fresh = list(dict.fromkeys(t for t in track_spotify_ids if t not in inside))
    unchanged = [t for t in track_spotify_ids if t in inside]
    if not fresh:
        return EditDone(playlist, None, [], unchanged)
    playlist_add_tracks(user=user, playlist_id=playlist.pk, track_spotify_ids=fresh)
    write = _log(user, playlist, PlaylistWrite.Action.ADDED, fresh)
    return EditDone(playlist, write, fresh, unchanged)


def playlist_remove_logged(*, user: User, playlist: Playlist, track_spotify_ids: Sequence[str]) -> EditDone:
    """Remove the tracks that are in the playlist; the rest are reported as not there."""
    inside = set(playlist.items.values_list("track__spotify_id", flat=True))
    present = list(dict.fromkeys(t for t in track_spotify_ids if t in inside))
    unchanged = [t for t in track_spotify_ids if t not in inside]
    if not present:
        return EditDone(playlist, None, [], unchanged)
    playlist_remove_tracks(user=user, playlist_id=playlist.pk, track_spotify_ids=present)
    write = _log(user, playlist, PlaylistWrite.Action.REMOVED, present)
    return EditDone(playlist, write, present, unchanged)


def _log(user: User, playlist: Playlist, action: str, ids: list[str]) -> PlaylistWrite:
    return PlaylistWrite.objects.create(
        user=user,
        playlist=playlist,
        name=playlist.name,
        action=action,
        track_spotify_ids=ids,
        settled_at=timezone.now(),
    )


def _settle(write: PlaylistWrite, state: str, **fields: object) -> None:
    for name, value in fields.items():
        setattr(write, name, value)
    write.state = state
    write.settled_at = timezone.now()
    write.save()


# --- undo ----------------------------------------------------------------------------------------


def undoable_write(*, user: User, write_id: int | None = None) -> PlaylistWrite | None:
    """The listener's latest write that can still be undone (or this one of theirs, if it can)."""
    writes = PlaylistWrite.objects.filter(
        user=user,
        state=PlaylistWrite.State.DONE,
        created_at__gte=timezone.now() - UNDO_WINDOW,
        playlist__isnull=False,
    )
    if write_id is not None:
        writes = writes.filter(pk=write_id)
    return writes.select_related("playlist").order_by("-created_at", "-id").first()


def write_undo(*, user: User, write_id: int | None = None) -> str:
    """Reverse one write; returns what was done, in the listener's words (UndoError if nothing)."""
    candidate = undoable_write(user=user, write_id=write_id)
    with transaction.atomic():
        write = (
            PlaylistWrite.objects.select_for_update(of=("self",))
            .filter(pk=candidate.pk if candidate else -1)
            .select_related("playlist")
            .first()
        )
        if write is None or write.state != PlaylistWrite.State.DONE or write.playlist is None:
            minutes = int(UNDO_WINDOW.total_seconds() // 60)
            raise UndoError(
                f"There's nothing of mine to undo (I can undo playlist changes for {minutes} min)."
            )
        playlist = write.playlist
        ids = list(write.track_spotify_ids)
        if write.action == PlaylistWrite.Action.CREATED:
            spotify_client_for(user=user).playlist_unfollow(playlist.spotify_id)
            Playlist.objects.filter(pk=playlist.pk, owner=user).delete()
            done = f"Undone: “{write.name}” is gone from your Spotify."
        elif write.action == PlaylistWrite.Action.ADDED:
            playlist_remove_tracks(user=user, playlist_id=playlist.pk, track_spotify_ids=ids)
            done = f"Undone: took {_tracks(len(ids))} back out of “{playlist.name}”."
        else:
            playlist_add_tracks(user=user, playlist_id=playlist.pk, track_spotify_ids=ids)
            done = f"Undone: put {_tracks(len(ids))} back in “{playlist.name}” (at the end)."
        write.state = PlaylistWrite.State.UNDONE
        write.settled_at = timezone.now()
        write.save(update_fields=["state", "settled_at"])
    return done


def _tracks(count: int) -> str:
    return "the track" if count == 1 else f"the {count} tracks"


# --- creates Spotify did not answer ---------------------------------------------------------------


def _check_later(write: PlaylistWrite, attempt: int) -> None:
    from .tasks import check_uncertain_create  # tasks import this module

    delay = CHECK_DELAYS[min(attempt, len(CHECK_DELAYS) - 1)]
    transaction.on_commit(lambda: check_uncertain_create.apply_async((write.pk, attempt), countdown=delay))


def uncertain_create_check(write_id: int) -> str:
    """Look for an unanswered create on Spotify and settle it; returns the write's state after.

    Found once: it is mirrored and given its tracks (what the listener asked for). Found more
    than once: the extra copies are removed. Not found after ``CHECK_FOR``: not done. Spotify
    errors propagate (the task tries again later).
    """
    write = PlaylistWrite.objects.select_related("user").filter(pk=write_id).first()
    if write is None or write.state != PlaylistWrite.State.UNCERTAIN:
        return write.state if write else "gone"
    user = write.user
    client = spotify_client_for(user=user)
    mirrored = set(Playlist.objects.filter(owner=user).values_list("spotify_id", flat=True))
    skip = mirrored | set(write.known_before)
    found = [p for p in client.my_playlists() if p.name == write.name and p.id not in skip]
    if not found:
        if timezone.now() - write.created_at >= CHECK_FOR:
            _settle(write, PlaylistWrite.State.NOT_DONE)
        return write.state
    keep, *extra = sorted(found, key=lambda p: p.id)
    for duplicate in extra:
        client.playlist_unfollow(duplicate.id)
    playlist = playlist_store_found(user=user, summary=keep)
    inside = set(playlist.items.values_list("track__spotify_id", flat=True))
    missing = [t for t in write.track_spotify_ids if t not in inside]
    if missing:
        playlist_add_tracks(user=user, playlist_id=playlist.pk, track_spotify_ids=missing)
    _settle(write, PlaylistWrite.State.DONE, playlist=playlist)
    logger.info("uncertain create %s settled: found (%d extra copies removed)", write.pk, len(extra))
    return write.state


def uncertain_create_retry(write_id: int, attempt: int) -> bool:
    """Whether the check should run again (the write is still uncertain); queues it if so."""
    write = PlaylistWrite.objects.filter(pk=write_id, state=PlaylistWrite.State.UNCERTAIN).first()
    if write is None:
        return False
    _check_later(write, attempt + 1)
    return True


def settled_untold(*, user: User) -> list[PlaylistWrite]:
    """Unanswered creates settled since the listener was last told (at most a few), oldest first.

    Marked as told by :func:`settled_told`; the chat says what became of them on the next turn.
    """
    return list(
        PlaylistWrite.objects.filter(
            user=user,
            action=PlaylistWrite.Action.CREATED,
            was_uncertain=True,
            told_at__isnull=True,
            state__in=[PlaylistWrite.State.DONE, PlaylistWrite.State.NOT_DONE],
        ).order_by("created_at")[:5]
    )


def settled_told(writes: Sequence[PlaylistWrite]) -> None:
    PlaylistWrite.objects.filter(pk__in=[w.pk for w in writes]).update(told_at=timezone.now())


def settled_sentence(write: PlaylistWrite) -> str:
    if write.state == PlaylistWrite.State.DONE:
        return f"Update: “{write.name}” did get created on your Spotify, with its tracks — and only once."
    return f"Update: “{write.name}” was never created on Spotify, so nothing was saved. Ask again any time."
