"""Reads of a listener's Spotify side, always for the asking user only."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import Prefetch, Q
from django.utils import timezone

from accounts.models import User
from catalog.models import Playlist, Track, TrackArtist

from .models import FollowedArtist, LibrarySync, Play, SpotifyLink, TimeRange, TopArtist, TopTrack


@dataclass(frozen=True)
class SpotifyStatus:
    """What the listener should know about their Spotify connection, in one place for UI and chat."""

    connected: bool
    status: str  # "", or SpotifyLink.Status value
    message: str
    sync_state: str
    sync_label: str
    sync_step: str
    last_success_at: datetime | None
    api_calls: int
    error: str

    @property
    def needs_action(self) -> bool:
        return self.status in (SpotifyLink.Status.NEEDS_RECONSENT, SpotifyLink.Status.NOT_ALLOWLISTED)

    def as_dict(self) -> dict[str, object]:
        return {
            "connected": self.connected,
            "status": self.status,
            "message": self.message,
            "needs_action": self.needs_action,
            "sync": {
                "state": self.sync_state,
                "label": self.sync_label,
                "step": self.sync_step,
                "last_success_at": self.last_success_at.isoformat() if self.last_success_at else None,
                "api_calls": self.api_calls,
                "error": self.error,
            },
        }


_MESSAGES = {
    "": "Spotify is not connected. Connect it to get picks from your own listening.",
    SpotifyLink.Status.ACTIVE: "Spotify is connected.",
    SpotifyLink.Status.NEEDS_RECONSENT: (
        "Spotify needs you to reconnect: its permission expired or was revoked. "
        "Everything else keeps working meanwhile."
    ),
    SpotifyLink.Status.NOT_ALLOWLISTED: (
        "Spotify refused access: this app is in Spotify's development mode and your Spotify account is not "
        "on its allow-list. PersonalAIs works without Spotify meanwhile."
    ),
}


def spotify_status(*, user: User) -> SpotifyStatus:
    link = SpotifyLink.objects.filter(user=user).only("status").first()
    sync = LibrarySync.objects.filter(user=user).first()
    status = link.status if link else ""
    return SpotifyStatus(
        connected=link is not None,
        status=status,
        message=_MESSAGES.get(status, ""),
        sync_state=sync.state if sync else LibrarySync.State.NEVER,
        sync_label=sync.get_state_display() if sync else LibrarySync.State.NEVER.label,
        sync_step=sync.step if sync else "",
        last_success_at=sync.last_success_at if sync else None,
        api_calls=sync.api_calls if sync else 0,
        error=sync.error if sync else "",
    )


def _artist_links() -> Prefetch:
    return Prefetch("track__artist_links", queryset=TrackArtist.objects.select_related("artist"))


def library_overview(*, user: User, limit: int = 10) -> dict[str, list]:
    """The listener's synced library for the library page."""
    return {
        "top_tracks": list(
            TopTrack.objects.filter(user=user, time_range=TimeRange.SHORT)
            .select_related("track__album")
            .prefetch_related(_artist_links())
            .order_by("rank")[:limit]
        ),
        "top_artists": list(
            TopArtist.objects.filter(user=user, time_range=TimeRange.SHORT).select_related("artist")[:limit]
        ),
        "recent": list(
            Play.objects.filter(user=user)
            .select_related("track__album")
            .prefetch_related(_artist_links())[:limit]
        ),
        "followed": list(
            FollowedArtist.objects.filter(user=user).select_related("artist").order_by("artist__name")
        ),
        "playlists": list(Playlist.objects.filter(owner=user).order_by("name")),
    }


def album_art_due(*, track_ids: Sequence[int], checked_before: datetime) -> list[tuple[str, str]]:
    """(album Spotify id, Spotify id of one of these tracks on it) for each album of ``track_ids``
    that has no cover and was not asked about since ``checked_before``; in the order of the tracks."""
    order = {track_id: position for position, track_id in enumerate(track_ids)}
    rows = (
        Track.objects.filter(pk__in=list(order), album__image_url="")
        .filter(Q(album__image_checked_at__isnull=True) | Q(album__image_checked_at__lt=checked_before))
        .values_list("pk", "spotify_id", "album__spotify_id")
    )
    due: dict[str, str] = {}
    for _, spotify_id, album_id in sorted(rows, key=lambda row: order[row[0]]):
        due.setdefault(album_id, spotify_id)
    return list(due.items())


def libraries_due_for_sync() -> list[int]:
    """Users with a working Spotify link whose library is due: never synced, or older than the
    interval; not while a sync is queued, running or waiting out a retry; a failed one only
    after the interval (so an app-wide refusal is not retried for everyone on every beat)."""
    user_ids = list(
        SpotifyLink.objects.filter(status=SpotifyLink.Status.ACTIVE)
        .order_by("user_id")
        .values_list("user_id", flat=True)
    )
    syncs = {sync.user_id: sync for sync in LibrarySync.objects.filter(user_id__in=user_ids)}
    stale = timezone.now() - timedelta(hours=settings.SPOTIFY_SYNC_INTERVAL_HOURS)
    return [user_id for user_id in user_ids if _sync_due(syncs.get(user_id), stale)]


def _sync_due(sync: LibrarySync | None, stale: datetime) -> bool:
    if sync is None:
        return True
    if sync.died():
        return True  # its worker was killed mid-sync: start it again
    if sync.state in (LibrarySync.State.QUEUED, LibrarySync.State.RUNNING, LibrarySync.State.WAITING):
        return False
    if sync.state == LibrarySync.State.FAILED and sync.finished_at and sync.finished_at >= stale:
        return False
    return sync.last_success_at is None or sync.last_success_at < stale
