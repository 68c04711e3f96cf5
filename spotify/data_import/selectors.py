"""Reads of a listener's imported download: the import's progress, and what recall and ranking use.

What an import tells recall is the same kind of evidence a sync gives — plays (``Play`` rows with
``source == import``), top tracks and artists, follows — so ``ImportedTaste`` is shaped like it:
the most played tracks and artists stand in for Spotify's all-time top items, YourLibrary's
artists for follows. Saved tracks and albums, hidden items and skips are extra evidence the
Web API no longer gives.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Q

from accounts.models import User
from catalog.models import Artist, TrackArtist

from ..models import DataImport, ImportedArtist, ImportedTrack

TOP_ITEMS = 50  # as many as Spotify's top-items endpoints return
FEATURED_SHARE = 0.5  # a featured artist's share of a track's plays, as recall counts them
MOSTLY_SKIPPED_MIN = 2  # skips before a track that is skipped more than played counts as skipped


@dataclass(frozen=True)
class ImportedTaste:
    """A listener's imported evidence, as plain ids (empty for a listener who imported nothing)."""

    top_track_ids: list[int] = field(default_factory=list)  # most streamed first
    top_artist_ids: list[int] = field(default_factory=list)  # most streamed first
    saved_track_ids: set[int] = field(default_factory=set)  # liked, or in their playlists
    followed_artist_ids: set[int] = field(default_factory=set)
    saved_album_artists: dict[int, int] = field(default_factory=dict)  # artist pk → albums saved
    banned_track_ids: set[int] = field(default_factory=set)
    banned_artist_ids: set[int] = field(default_factory=set)


def imported_taste(*, user: User, top: int = TOP_ITEMS) -> ImportedTaste:
    tracks = list(
        ImportedTrack.objects.filter(user=user).values_list(
            "track_id", "plays", "saved", "banned", "playlists"
        )
    )
    if not tracks and not ImportedArtist.objects.filter(user=user).exists():
        return ImportedTaste()
    plays = {track_id: count for track_id, count, _, banned, _ in tracks if count and not banned}
    artists = list(
        ImportedArtist.objects.filter(user=user).values_list(
            "artist_id", "followed", "saved_albums", "banned"
        )
    )
    banned_artists = {artist_id for artist_id, _, _, banned in artists if banned}
    return ImportedTaste(
        top_track_ids=sorted(plays, key=lambda pk: (-plays[pk], pk))[:top],
        top_artist_ids=[pk for pk in _artists_by_plays(user, plays) if pk not in banned_artists][:top],
        saved_track_ids={pk for pk, _, saved, banned, lists in tracks if (saved or lists) and not banned},
        followed_artist_ids={pk for pk, followed, _, banned in artists if followed and not banned},
        saved_album_artists={pk: albums for pk, _, albums, banned in artists if albums and not banned},
        banned_track_ids={pk for pk, _, _, banned, _ in tracks if banned},
        banned_artist_ids=banned_artists,
    )


def _artists_by_plays(user: User, plays: dict[int, int]) -> list[int]:
    """Artists by their streams: their catalog tracks' (featured ones half) and the other tracks
    of theirs the download named."""
    per_artist: dict[int, float] = defaultdict(float)
    for track_id, artist_id, position in TrackArtist.objects.filter(track_id__in=list(plays)).values_list(
        "track_id", "artist_id", "position"
    ):
        per_artist[artist_id] += plays[track_id] * (1.0 if position == 0 else FEATURED_SHARE)
    for artist_id, other in ImportedArtist.objects.filter(user=user, other_plays__gt=0).values_list(
        "artist_id", "other_plays"
    ):
        per_artist[artist_id] += other
    return sorted(per_artist, key=lambda pk: (-per_artist[pk], pk))


def imported_known_track_ids(*, user: User) -> set[int]:
    """Tracks the download shows the listener knows: played, saved, in a playlist or hidden."""
    return set(ImportedTrack.objects.filter(user=user).values_list("track_id", flat=True))


def imported_skipped_track_ids(*, user: User) -> list[int]:
    """Tracks the listener skips more than they let play (at least ``MOSTLY_SKIPPED_MIN`` skips)."""
    rows = ImportedTrack.objects.filter(user=user, skips__gte=MOSTLY_SKIPPED_MIN).values_list(
        "track_id", "skips", "plays"
    )
    return [track_id for track_id, skips, plays in rows if skips > plays]


def has_imported_library(*, user: User) -> bool:
    return (
        ImportedTrack.objects.filter(user=user).exists() or ImportedArtist.objects.filter(user=user).exists()
    )


# --- the import's progress, for the Library page -------------------------------------------------


def data_import_latest(*, user: User) -> DataImport | None:
    return DataImport.objects.filter(user=user).order_by("-created_at", "-pk").first()


def data_import_busy(*, user: User) -> bool:
    """Whether an import of this listener is queued or running (and its worker still alive)."""
    pending = DataImport.objects.filter(user=user).filter(
        Q(state=DataImport.State.QUEUED) | Q(state=DataImport.State.RUNNING)
    )
    return any(not data_import.died() for data_import in pending)


def data_import_status(*, user: User) -> dict[str, Any]:
    """The newest import as the page and its status endpoint show it; ``state`` "none" before any."""
    data_import = data_import_latest(user=user)
    if data_import is None:
        return {"state": "none", "busy": False}
    busy = data_import.state in (DataImport.State.QUEUED, DataImport.State.RUNNING) and not data_import.died()
    error = data_import.error
    if data_import.died():
        error = "The import stopped without finishing; please upload the file again."
    return {
        "id": data_import.pk,
        "state": data_import.state if busy or not data_import.died() else DataImport.State.FAILED,
        "label": data_import.get_state_display() if busy or not data_import.died() else "Failed",
        "busy": busy,
        "step": data_import.step,
        "files_total": data_import.files_total,
        "files_done": data_import.files_done,
        "rows": data_import.rows,
        "track_rows": data_import.track_rows,
        "matched": data_import.matched,
        "matched_percent": round(100 * data_import.matched / data_import.track_rows)
        if data_import.track_rows
        else 0,
        "error": error,
        "summary": data_import.summary,
        "created_at": data_import.created_at.isoformat(),
        "finished_at": data_import.finished_at.isoformat() if data_import.finished_at else None,
    }


def artist_names(artist_ids: list[int]) -> list[str]:
    names = dict(Artist.objects.filter(pk__in=artist_ids).values_list("pk", "name"))
    return [names[pk] for pk in artist_ids if pk in names]
