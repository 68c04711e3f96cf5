"""Writes from Spotify into our tables: the library sync and playlist edits.

Every function acts for the one listener it is given and talks to Spotify only through
``SpotifyClient``. The sync is idempotent (running it twice changes nothing the second
time), incremental for plays (the recently-played cursor), and makes a bounded number of
calls: 3 top-track + 3 top-artist ranges, 1 page of plays, the followed-artist pages, the
playlist pages, and items only of playlists whose snapshot changed.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from accounts.models import User
from catalog.bulk import pks_by_spotify_id
from catalog.explicit import SPOTIFY as SAID_BY_SPOTIFY
from catalog.models import Artist, Playlist, Track
from catalog.services import (
    album_images_checked,
    album_images_said,
    artists_save,
    catalog_save,
    owned_playlist_save,
    owned_playlists_forget,
    playlist_items_append,
    playlist_items_remove,
    track_explicit_said,
)
from catalog.types import Catalog, CatalogAlbum, CatalogArtist, CatalogTrack

from .app_token import app_client
from .client import SpotifyClient
from .errors import (
    SpotifyAuthExpired,
    SpotifyError,
    SpotifyNotFound,
    SpotifyPermissionDenied,
    SpotifyRateLimited,
)
from .models import FollowedArtist, LibrarySync, Play, SpotifyLink, TimeRange, TopArtist, TopTrack
from .selectors import album_art_due
from .tokens import access_token_for, link_mark, token_distrust
from .types import ArtistInfo, PlaylistSummary, TrackInfo

logger = logging.getLogger(__name__)

TIME_RANGES = (TimeRange.SHORT, TimeRange.MEDIUM, TimeRange.LONG)
SPOTIFY_ID = re.compile(r"[0-9A-Za-z]{22}")


@dataclass
class SyncReport:
    top_tracks: int = 0
    top_artists: int = 0
    new_plays: int = 0
    followed_artists: int = 0
    playlists: int = 0
    api_calls: int = 0


def spotify_client_for(*, user: User) -> SpotifyClient:
    """A client with a fresh token for ``user`` (raises SpotifyNotConnected / SpotifyAuthExpired)."""

    def reauthorize() -> str:
        token_distrust(user=user)
        return access_token_for(user=user)

    return SpotifyClient(
        access_token_for(user=user), timeout=settings.SPOTIFY_TIMEOUT_SECONDS, reauthorize=reauthorize
    )


# --- what the Web API tells about music, into the catalog --------------------------------------


def artists_upsert(artists: Iterable[ArtistInfo]) -> dict[str, int]:
    """Spotify artist id → our pk, creating artists we have not seen (names only: 2026 has no genres)."""
    by_id = {artist.id: artist for artist in artists}
    if not by_id:
        return {}
    known = pks_by_spotify_id(Artist, by_id)
    missing = [_artist(artist) for artist_id, artist in by_id.items() if artist_id not in known]
    return {**known, **artists_save(missing)} if missing else known


def tracks_upsert(tracks: Iterable[TrackInfo]) -> dict[str, int]:
    """Spotify track id → our pk. Unknown tracks are created; catalog tracks are kept as they are
    but for Spotify's explicit flag, which outranks what a file or our estimate said (one
    statement, writing only the tracks whose flag we did not have yet), and their albums' covers
    (one more, writing only covers that changed)."""
    by_id = {track.id: track for track in tracks}
    if not by_id:
        return {}
    known = pks_by_spotify_id(Track, by_id)
    track_explicit_said(
        {i: t.explicit for i, t in by_id.items() if i in known and t.explicit is not None},
        source=SAID_BY_SPOTIFY,
    )
    missing = [_catalog_track(track) for track_id, track in by_id.items() if track_id not in known]
    if missing:
        catalog_save(Catalog(tracks=missing, playlists=[]), overwrite=False)
        known = pks_by_spotify_id(Track, by_id)
    album_images_said({t.album.id: t.album.cover_url for t in by_id.values() if t.album is not None})
    return known


def _artist(info: ArtistInfo) -> CatalogArtist:
    return CatalogArtist(info.id, info.name)


def _catalog_track(info: TrackInfo) -> CatalogTrack:
    album = None
    if info.album is not None:
        album = CatalogAlbum(
            info.album.id,
            info.album.name,
            info.album.release_date or "",
            tuple(_artist(a) for a in info.album.artists),
        )
    return CatalogTrack(
        spotify_id=info.id,
        name=info.name,
        album=album,
        artists=tuple(_artist(a) for a in info.artists),
        duration_ms=info.duration_ms,
        popularity=None,
        genre="",
        subgenre="",
        explicit=info.explicit,
        isrc=info.isrc or "",
    )


# --- album covers for tracks no sync brought -----------------------------------------------------


COVER_RECHECK_AFTER = timedelta(days=7)  # an album Spotify had no cover for is not asked about sooner
COVER_CALLS_MAX = 10  # single-track calls one fill may spend of the app's rate limit
COVER_CLAIM_SECONDS = 120  # two fills queued for the same album: only one asks


def album_covers_fill(*, track_ids: Sequence[int], max_calls: int = COVER_CALLS_MAX) -> int:
    """Ask Spotify, with the app's own token, for the covers these tracks' albums lack; returns
    how many were stored.

    One ``tracks/{id}`` call per album (batch reads are gone), at most ``max_calls``. An album
    Spotify has no cover for, or whose track it does not know, is marked checked and left alone
    for ``COVER_RECHECK_AFTER``. Anything else that goes wrong — no client secret, credentials
    refused, a rate limit, an outage — stops the fill quietly and marks nothing, so the next fill
    tries again.
    """
    due = album_art_due(track_ids=track_ids, checked_before=timezone.now() - COVER_RECHECK_AFTER)
    claims = {album_id: f"spotify:cover-claim:{album_id}" for album_id, _ in due[:max_calls]}
    claimed = [
        (album, track) for album, track in due[:max_calls] if cache.add(claims[album], 1, COVER_CLAIM_SECONDS)
    ]
    if not claimed:
        return 0
    stored = 0
    try:
        with app_client() as client:
            for album_id, track_id in claimed:
                cover = _cover_of(client, track_id)
                if cover:
                    stored += len(album_images_said({album_id: cover}))
                album_images_checked([album_id])
    except SpotifyError as exc:
        logger.info("album covers: stopped after %s stored (%s); a later fill tries again", stored, exc)
    finally:
        cache.delete_many([claims[album] for album, _ in claimed])
    return stored


def _cover_of(client: SpotifyClient, track_id: str) -> str:
    """The cover of the track's album, "" when Spotify has none or no such track; other errors propagate."""
    try:
        track = client.track(track_id)
    except (SpotifyNotFound, ValueError):
        return ""
    except SpotifyError as exc:
        if exc.status == 400:  # an id Spotify calls malformed: asking again will not help
            return ""
        raise
    return track.album.cover_url if track.album else ""


# --- the library sync ----------------------------------------------------------------------


SYNC_STALE_AFTER = LibrarySync.DEAD_AFTER  # a "running" sync older than this died with its worker


@dataclass
class SyncSkipped:
    """Another sync of the same library is running; this one did nothing."""

    reason: str = "already running"


def library_sync(
    *,
    user: User,
    client: SpotifyClient | None = None,
    on_step: Callable[[str], None] | None = None,
    claim_id: str = "",
) -> SyncReport | SyncSkipped:
    """Pull the listener's top items, new plays, followed artists and own playlists.

    At most one sync per listener runs at a time (claimed with a conditional UPDATE, no long
    lock). Spotify errors propagate for the task to decide on retries; whatever ends the sync,
    its state says so, so the listener never watches a sync that is no longer running.
    ``claim_id`` (the Celery task id): the same task delivered again after its worker died takes
    over the sync it left "running".
    """
    state = _sync_state(user)
    if not _sync_claim(state, claim_id):
        return SyncSkipped()
    report = SyncReport()

    def step(name: str) -> None:
        _sync_update(state, step=name)
        if on_step:
            on_step(name)

    try:
        client = client or spotify_client_for(user=user)
        for time_range in TIME_RANGES:
            step(f"top tracks ({time_range.label.lower()})")
            report.top_tracks += _top_tracks_sync(user, time_range, client.top_tracks(time_range.value))
        for time_range in TIME_RANGES:
            step(f"top artists ({time_range.label.lower()})")
            report.top_artists += _top_artists_sync(user, time_range, client.top_artists(time_range.value))
        step("recently played")
        recent = client.recently_played(after=state.recent_after_ms)
        report.new_plays = _plays_add(user, recent.items)
        if recent.after_cursor is not None:
            state.recent_after_ms = recent.after_cursor
        step("followed artists")
        report.followed_artists = _followed_sync(user, client.followed_artists())
        step("playlists")
        report.playlists = _own_playlists_sync(user, client)
    except SpotifyAuthExpired as exc:
        if client is not None:
            # Spotify refused a token we believed valid: refresh before the retry, which the
            # task schedules; a dead refresh token then surfaces as "needs re-consent".
            token_distrust(user=user)
            _sync_failed(state, client, "Spotify asked us to sign in again; retrying shortly.", waiting=True)
            raise SpotifyError(str(exc), status=401, permanent=False) from exc
        _sync_failed(state, client, str(exc))
        raise
    except SpotifyPermissionDenied as exc:
        if exc.not_allowlisted:
            link_mark(user=user, status=SpotifyLink.Status.NOT_ALLOWLISTED, detail=str(exc))
        _sync_failed(state, client, str(exc))
        raise
    except SpotifyRateLimited as exc:
        _sync_failed(state, client, "", waiting=True)
        raise exc
    except SpotifyError as exc:
        message = "Spotify had a hiccup; retrying shortly." if not exc.permanent else str(exc)
        _sync_failed(state, client, message, waiting=not exc.permanent)
        raise
    except Exception:
        _sync_failed(state, client, "The sync stopped unexpectedly; try “Sync now” again.")
        raise
    report.api_calls = client.calls
    now = timezone.now()
    _sync_update(
        state,
        state=LibrarySync.State.DONE,
        step="",
        finished_at=now,
        last_success_at=now,
        api_calls=report.api_calls,
        recent_after_ms=state.recent_after_ms,
        error="",
    )
    return report


def _sync_claim(state: LibrarySync, claim_id: str = "") -> bool:
    now = timezone.now()
    free = ~Q(state=LibrarySync.State.RUNNING) | Q(started_at__lt=now - SYNC_STALE_AFTER)
    if claim_id:
        free |= Q(claimed_by=claim_id)  # our own earlier delivery, which died with its worker
    claimed = (
        LibrarySync.objects.filter(pk=state.pk)
        .filter(free)
        .update(
            state=LibrarySync.State.RUNNING, step="starting", started_at=now, error="", claimed_by=claim_id
        )
    )
    if claimed:
        state.state, state.step, state.started_at, state.error = (
            LibrarySync.State.RUNNING,
            "starting",
            now,
            "",
        )
    return bool(claimed)


def library_sync_given_up(*, user: User, error: str) -> None:
    """The task stopped retrying: say so instead of "retrying" forever."""
    _sync_update(_sync_state(user), state=LibrarySync.State.FAILED, step="", error=error[:300])


def library_sync_queued(*, user: User) -> bool:
    """Mark a sync as queued so the listener sees it at once; False when one is already on its way."""
    state = _sync_state(user)
    on_its_way = (LibrarySync.State.RUNNING, LibrarySync.State.QUEUED, LibrarySync.State.WAITING)
    if state.state in on_its_way and not state.died():
        return False
    _sync_update(state, state=LibrarySync.State.QUEUED, step="", error="")
    return True


def library_sync_waiting(*, user: User, retry_in_seconds: int) -> None:
    _sync_update(
        _sync_state(user),
        state=LibrarySync.State.WAITING,
        step="",
        error=f"Spotify asked us to slow down; retrying in about {max(1, retry_in_seconds // 60)} min.",
    )


def _sync_state(user: User) -> LibrarySync:
    state, _ = LibrarySync.objects.get_or_create(user=user)
    return state


def _sync_update(sync: LibrarySync, **fields: object) -> None:
    """Write progress at once (outside any sync transaction) so the listener sees it live."""
    for name, value in fields.items():
        setattr(sync, name, value)
    LibrarySync.objects.filter(pk=sync.pk).update(**fields)


def _sync_failed(state: LibrarySync, client: SpotifyClient | None, error: str, waiting: bool = False) -> None:
    """``waiting``: the task will retry (the listener sees "waiting to retry", not "failed")."""
    _sync_update(
        state,
        state=LibrarySync.State.WAITING if waiting else LibrarySync.State.FAILED,
        step="",
        finished_at=timezone.now(),
        error=error[:300],
        api_calls=client.calls if client else 0,
    )


@transaction.atomic
def _top_tracks_sync(user: User, time_range: TimeRange, tracks: Sequence[TrackInfo]) -> int:
    pks = tracks_upsert(tracks)
    TopTrack.objects.filter(user=user, time_range=time_range).delete()
    TopTrack.objects.bulk_create(
        [
            TopTrack(user=user, track_id=pks[track.id], time_range=time_range, rank=rank)
            for rank, track in enumerate(tracks, start=1)
        ]
    )
    return len(tracks)


@transaction.atomic
def _top_artists_sync(user: User, time_range: TimeRange, artists: Sequence[ArtistInfo]) -> int:
    pks = artists_upsert(artists)
    TopArtist.objects.filter(user=user, time_range=time_range).delete()
    TopArtist.objects.bulk_create(
        [
            TopArtist(user=user, artist_id=pks[artist.id], time_range=time_range, rank=rank)
            for rank, artist in enumerate(artists, start=1)
        ]
    )
    return len(artists)


def _plays_add(user: User, items: Sequence) -> int:
    pks = tracks_upsert(item.track for item in items)
    before = Play.objects.filter(user=user).count()
    Play.objects.bulk_create(
        [Play(user=user, track_id=pks[item.track.id], played_at=item.played_at) for item in items],
        ignore_conflicts=True,
    )
    return Play.objects.filter(user=user).count() - before


@transaction.atomic
def _followed_sync(user: User, artists: Sequence[ArtistInfo]) -> int:
    pks = artists_upsert(artists)
    FollowedArtist.objects.filter(user=user).exclude(artist_id__in=pks.values()).delete()
    FollowedArtist.objects.bulk_create(
        [FollowedArtist(user=user, artist_id=pk) for pk in pks.values()], ignore_conflicts=True
    )
    return len(pks)


def _own_playlists_sync(user: User, client: SpotifyClient) -> int:
    link = SpotifyLink.objects.get(user=user)
    own = [playlist for playlist in client.my_playlists() if playlist.owner_id == link.spotify_user_id]
    for summary in own:
        if Playlist.objects.filter(spotify_id=summary.id).exclude(owner=user).exists():
            logger.warning("playlist %s is held by another owner; not taking it over", summary.id)
            continue
        stored = Playlist.objects.filter(spotify_id=summary.id, owner=user).first()
        if stored is not None and stored.snapshot_id == summary.snapshot_id and summary.snapshot_id:
            continue  # unchanged since the last sync: no need to fetch its items
        _playlist_store(user, summary, client.playlist_items(summary.id))
    owned_playlists_forget(owner=user, keep=[p.id for p in own])
    return len(own)


@transaction.atomic
def _playlist_store(user: User, summary: PlaylistSummary, tracks: Sequence[TrackInfo]) -> Playlist:
    pks = tracks_upsert(tracks)
    playlist, _ = owned_playlist_save(
        owner=user,
        spotify_id=summary.id,
        name=summary.name,
        description=summary.description or "",
        snapshot_id=summary.snapshot_id or "",
        track_pks=[pks[track.id] for track in tracks],
    )
    return playlist


def playlist_store_found(*, user: User, summary: PlaylistSummary) -> Playlist:
    """Mirror a playlist of the listener's found on Spotify (with its items as Spotify has them)."""
    tracks = spotify_client_for(user=user).playlist_items(summary.id)
    return _playlist_store(user, summary, tracks)


# --- playlist edits ----------------------------------------------------------------------------


class PlaylistItemsNotAdded(SpotifyError):
    """The playlist exists on Spotify but its tracks could not be added; ``playlist`` is our mirror."""

    def __init__(self, playlist: Playlist, cause: SpotifyError) -> None:
        super().__init__(
            f"created “{playlist.name}” but could not add its tracks: {cause}", permanent=cause.permanent
        )
        self.playlist = playlist
        self.cause = cause


def playlist_create_with_tracks(
    *, user: User, name: str, track_spotify_ids: Sequence[str], description: str = ""
) -> Playlist:
    """Create a playlist on the listener's Spotify with these tracks, and mirror it here.

    Spotify has no atomic "create with tracks": if adding fails after the create, the empty
    playlist is kept (mirrored too) and PlaylistItemsNotAdded says so, rather than pretending
    nothing happened.
    """
    name = name.strip()[:100]
    if not name:
        raise ValueError("A playlist needs a name.")
    if not track_spotify_ids or not all(SPOTIFY_ID.fullmatch(track_id) for track_id in track_spotify_ids):
        raise ValueError("Those tracks can't be saved to Spotify (no valid Spotify track ids).")
    client = spotify_client_for(user=user)
    summary = client.playlist_create(name, description=description or "Picked with PersonalAIs")
    playlist = _playlist_store(user, summary, [])
    try:
        snapshot = client.playlist_add_items(summary.id, list(track_spotify_ids))
    except SpotifyError as exc:
        raise PlaylistItemsNotAdded(playlist, exc) from exc
    playlist_items_append(playlist=playlist, track_spotify_ids=track_spotify_ids, snapshot_id=snapshot)
    return playlist


def _own_playlist_edit(
    user: User, playlist_id: int, track_spotify_ids: Sequence[str], verb: str
) -> tuple[Playlist, list[str]]:
    """One of *this listener's* playlists and the valid track ids to edit it with, or ValueError."""
    playlist = Playlist.objects.filter(pk=playlist_id, owner=user).first()
    if playlist is None:
        raise ValueError("That playlist isn't one of yours.")
    ids = [track_id for track_id in track_spotify_ids if SPOTIFY_ID.fullmatch(track_id)]
    if not ids:
        raise ValueError(f"Those tracks can't be {verb} (no valid Spotify track ids).")
    return playlist, ids


def playlist_add_tracks(*, user: User, playlist_id: int, track_spotify_ids: Sequence[str]) -> Playlist:
    """Append tracks to one of *this listener's* playlists on Spotify, then to our mirror."""
    playlist, ids = _own_playlist_edit(user, playlist_id, track_spotify_ids, "added")
    snapshot = spotify_client_for(user=user).playlist_add_items(playlist.spotify_id, ids)
    playlist_items_append(playlist=playlist, track_spotify_ids=ids, snapshot_id=snapshot)
    return playlist


def playlist_remove_tracks(*, user: User, playlist_id: int, track_spotify_ids: Sequence[str]) -> Playlist:
    """Remove tracks from one of *this listener's* playlists on Spotify, then from our mirror."""
    playlist, ids = _own_playlist_edit(user, playlist_id, track_spotify_ids, "removed")
    snapshot = spotify_client_for(user=user).playlist_remove_items(playlist.spotify_id, ids)
    playlist_items_remove(playlist=playlist, track_spotify_ids=ids, snapshot_id=snapshot)
    return playlist
