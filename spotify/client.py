"""The one door to Spotify's Web API, and the only module that imports spotipy.

Callers get ``spotify.types`` records and ``spotify.errors`` exceptions, with paging done
inside. The base URL is a setting, so the same code talks to Spotify or to the emulator.

Retries, and why they are set up this way (spotipy 2.26's defaults do the wrong thing for a
worker: its own session retries 429 and sleeps for whatever ``Retry-After`` says, hours if
need be, and after exhausting 5xx retries it reports a fake 429 without headers):

- our ``requests.Session`` retries only 500/502/503/504 and connection failures, with
  exponential backoff, and only for methods that are safe to repeat (GET, PUT, DELETE...):
  a POST that adds items or creates a playlist may have happened before the error, and
  repeating it would add duplicates;
- 429 is never retried here: it surfaces at once as ``SpotifyRateLimited(retry_after)`` and
  the Celery task reschedules itself with that countdown;
- ``raise_on_status=False``: exhausted retries hand back the last real response, so a
  lasting 503 is reported as a (not permanent) 503, never as spotipy's fake 429;
- a read timeout is not retried: the caller's own retry comes later and costs no worker time.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Sequence
from types import TracebackType
from typing import Any, Self, TypeVar
from urllib.parse import parse_qs, urlsplit

import requests
import spotipy
from django.conf import settings
from requests.adapters import HTTPAdapter
from urllib3.connectionpool import ConnectionPool
from urllib3.response import BaseHTTPResponse
from urllib3.util.retry import Retry

from spotify.errors import (
    SpotifyAuthExpired,
    SpotifyError,
    SpotifyNoAnswer,
    SpotifyNotFound,
    SpotifyPermissionDenied,
    SpotifyRateLimited,
)
from spotify.types import (
    AlbumInfo,
    ArtistInfo,
    PlayedItem,
    PlaylistSummary,
    RecentlyPlayed,
    SpotifyUser,
    TrackInfo,
    album_from_json,
    artist_from_json,
    artists_from_json,
    played_at_parse,
    played_item_from_json,
    playlist_entry_track,
    playlist_from_json,
    track_from_json,
    tracks_from_json,
    unix_ms,
    user_from_json,
)

TIME_RANGES = ("short_term", "medium_term", "long_term")
RETRY_STATUSES = (500, 502, 503, 504)
PAGE_MAX = 50  # most list endpoints
SEARCH_MAX = 10  # search and artist albums, since 2026
WRITE_BATCH = 100  # playlist adds and removes
MAX_PAGES = 1000  # a guard against a `next` link that never ends
DEFAULT_RETRY_AFTER = 30  # a 429 without Retry-After: wait out one rolling window
_ID = re.compile(r"[0-9A-Za-z]+")
_DEVICE_ID = re.compile(r"[0-9A-Za-z_-]{1,128}")  # Spotify's are 40 hex digits; stay lenient
PREMIUM_REQUIRED = "PREMIUM_REQUIRED"  # the ``reason`` Spotify gives for player commands
# Development mode, listener not on the app's allow-list; Spotify's wording has changed over the years.
_NOT_ALLOWLISTED = (
    "may not be registered",
    "not registered in the developer dashboard",
    "not approved for app",
)

Json = dict[str, Any]
T = TypeVar("T")


class _CountingRetry(Retry):
    """urllib3's Retry that reports every retry made after a server answer (so ``calls`` counts it)."""

    def __init__(self, *args: Any, on_retry: Callable[[], None] | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.on_retry = on_retry

    def new(self, **kw: Any) -> Self:
        kw.setdefault("on_retry", self.on_retry)
        return super().new(**kw)

    def increment(
        self,
        method: str | None = None,
        url: str | None = None,
        response: BaseHTTPResponse | None = None,
        error: Exception | None = None,
        _pool: ConnectionPool | None = None,
        _stacktrace: TracebackType | None = None,
    ) -> Self:
        retry = super().increment(method, url, response, error, _pool, _stacktrace)
        if response is not None and self.on_retry is not None:
            self.on_retry()
        return retry


class SpotifyClient:
    """One listener's access token, talking to Spotify (or the emulator) at ``base_url``.

    ``calls`` counts HTTP requests that reached the server, retries included, so a sync can
    report what it spent of the app's rate limit. Not thread-safe: one client per task.
    """

    def __init__(
        self,
        access_token: str,
        *,
        base_url: str | None = None,
        timeout: float = 10.0,
        max_retries: int = 3,
        backoff_factor: float = 0.3,
        reauthorize: Callable[[], str] | None = None,
    ) -> None:
        self.calls = 0
        # On a 401 for a token we believed valid: a fresh token (the refresh marks the link when
        # Spotify says invalid_grant), then the call once more. A 401 is refused before any effect.
        self._reauthorize = reauthorize
        self.base_url = (base_url or settings.SPOTIFY_API_BASE_URL).rstrip("/") + "/"
        self.timeout = timeout
        self.session = self._session_build(max_retries, backoff_factor)
        # spotipy only uses retries/status_retries for a session it builds itself; zero them
        # anyway so nothing of its retry-and-sleep behaviour can come back.
        self._sp = spotipy.Spotify(
            auth=access_token,
            requests_session=self.session,
            requests_timeout=timeout,
            retries=0,
            status_retries=0,
            backoff_factor=backoff_factor,
        )
        self._sp.prefix = self.base_url

    def _session_build(self, max_retries: int, backoff_factor: float) -> requests.Session:
        retry = _CountingRetry(
            total=max_retries,
            read=False,
            status=max_retries,
            status_forcelist=RETRY_STATUSES,
            allowed_methods=Retry.DEFAULT_ALLOWED_METHODS,  # not POST: adds and creates are not idempotent
            backoff_factor=backoff_factor,
            respect_retry_after_header=False,
            raise_on_status=False,
            on_retry=self._count_call,
        )
        session = requests.Session()
        adapter = HTTPAdapter(max_retries=retry)
        session.mount("http://", adapter)
        session.mount("https://", adapter)
        session.hooks["response"].append(lambda response, *args, **kwargs: self._count_call())
        return session

    def _count_call(self) -> None:
        self.calls += 1

    def close(self) -> None:
        self.session.close()

    def __enter__(self) -> SpotifyClient:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    # --- the listener -------------------------------------------------------------------------------

    def current_user(self) -> SpotifyUser:
        return user_from_json(self._call(self._sp._get, "me"))

    def top_tracks(self, time_range: str, limit: int = PAGE_MAX) -> list[TrackInfo]:
        """All of the listener's top tracks for ``time_range``, fetched ``limit`` per page."""
        _check_time_range(time_range)
        first = self._call(
            self._sp.current_user_top_tracks, limit=_clamp(limit, PAGE_MAX), time_range=time_range
        )
        return [t for page in self._pages(first) for t in tracks_from_json(page["items"])]

    def top_artists(self, time_range: str, limit: int = PAGE_MAX) -> list[ArtistInfo]:
        """All of the listener's top artists for ``time_range``, fetched ``limit`` per page."""
        _check_time_range(time_range)
        first = self._call(
            self._sp.current_user_top_artists, limit=_clamp(limit, PAGE_MAX), time_range=time_range
        )
        return [a for page in self._pages(first) for a in artists_from_json(page["items"])]

    def recently_played(self, after: int | None = None, limit: int = PAGE_MAX) -> RecentlyPlayed:
        """Plays newest first: the latest ``limit`` ones, or with ``after`` (Unix ms) every play
        since then. Store the returned ``after_cursor`` and pass it next time to get only new plays.
        """
        page = self._call(self._sp.current_user_recently_played, limit=_clamp(limit, PAGE_MAX), after=after)
        entries: list[Json] = []
        for _ in range(MAX_PAGES):
            entries += page.get("items") or []
            next_url = page.get("next")
            # Without `after`, `next` walks back in time: older plays were never asked for.
            if after is None or not next_url or "after" not in parse_qs(urlsplit(next_url).query):
                break
            page = self._call(self._sp._get, next_url)
        return _recently_played(entries, after)

    def followed_artists(self, *, limit: int = PAGE_MAX) -> list[ArtistInfo]:
        """Every artist the listener follows (cursor paging, ``limit`` per page)."""
        first = self._call(self._sp.current_user_followed_artists, limit=_clamp(limit, PAGE_MAX))
        pages = self._pages(first["artists"], unwrap=lambda body: body["artists"])
        return [a for page in pages for a in artists_from_json(page["items"])]

    # --- playlists -------------------------------------------------------------------------------

    def my_playlists(self, *, limit: int = PAGE_MAX) -> list[PlaylistSummary]:
        """Every playlist in the listener's library (their own and followed ones)."""
        first = self._call(self._sp.current_user_playlists, limit=_clamp(limit, PAGE_MAX))
        return [playlist_from_json(p) for page in self._pages(first) for p in page["items"] if p]

    def playlist(self, playlist_id: str) -> PlaylistSummary:
        data = self._call(self._sp._get, f"playlists/{_spotify_id('playlist', playlist_id)}")
        return playlist_from_json(data)

    def playlist_items(self, playlist_id: str, *, limit: int = PAGE_MAX) -> list[TrackInfo]:
        """Every track of a playlist the listener owns (others' items are closed since 2026).
        Local files and unavailable entries are left out."""
        path = f"playlists/{_spotify_id('playlist', playlist_id)}/items"
        first = self._call(self._sp._get, path, limit=_clamp(limit, PAGE_MAX), additional_types="track")
        return [t for page in self._pages(first) for t in map(playlist_entry_track, page["items"]) if t]

    def playlist_create(self, name: str, *, description: str = "", public: bool = False) -> PlaylistSummary:
        """A new playlist of the listener's. Never retried automatically: a retry could make two."""
        data = self._call(
            self._sp.current_user_playlist_create,
            name,
            public=public,
            collaborative=False,
            description=description,
        )
        return playlist_from_json(data)

    def playlist_add_items(self, playlist_id: str, track_ids: Sequence[str]) -> str | None:
        """Appends the tracks in batches of 100; returns the last snapshot id (None if nothing to add).

        Not atomic and not retried: if a later batch fails, earlier ones stay added, so the
        caller compares with ``playlist_items`` before trying again.
        """
        path = f"playlists/{_spotify_id('playlist', playlist_id)}/items"
        snapshot_id = None
        for batch in _batches([_track_uri(t) for t in track_ids], WRITE_BATCH):
            snapshot_id = self._call(self._sp._post, path, payload={"uris": batch})["snapshot_id"]
        return snapshot_id

    def playlist_remove_items(self, playlist_id: str, track_ids: Sequence[str]) -> str | None:
        """Removes every occurrence of the tracks, in batches of 100; returns the last snapshot id."""
        path = f"playlists/{_spotify_id('playlist', playlist_id)}/items"
        snapshot_id = None
        for batch in _batches([_track_uri(t) for t in track_ids], WRITE_BATCH):
            payload = {"items": [{"uri": uri} for uri in batch]}
            snapshot_id = self._call(self._sp._delete, path, payload=payload)["snapshot_id"]
        return snapshot_id

    def playlist_unfollow(self, playlist_id: str) -> None:
        """Remove one of the listener's playlists from their library (for its owner: delete it).

        2026 development mode has no ``playlists/{id}/followers``; the library endpoint takes URIs.
        """
        uri = f"spotify:playlist:{_spotify_id('playlist', playlist_id)}"
        self._call(self._sp._delete, "me/library", uris=uri)

    # --- playback (Premium only) -----------------------------------------------------------------

    def start_playback(self, device_id: str, uris: Sequence[str], offset: int = 0) -> None:
        """Plays ``uris`` in order, as a queue, on ``device_id`` (the Web Playback SDK's device in
        the listener's page), starting at position ``offset`` of the list.

        Raises SpotifyPermissionDenied for an account without Premium (``premium_required`` tells
        it apart from other refusals) and SpotifyNotFound when no such device is connected.
        """
        if not 0 <= offset < len(uris):
            raise ValueError(f"offset {offset} is outside the {len(uris)} tracks given")
        payload = {"uris": [_track_uri(u) for u in uris], "offset": {"position": offset}}
        self._call(self._sp._put, "me/player/play", payload=payload, device_id=_device_id(device_id))

    def pause_playback(self, device_id: str | None = None) -> None:
        """Pauses the listener's playback (on ``device_id``, else wherever it plays)."""
        where = {"device_id": _device_id(device_id)} if device_id else {}
        self._call(self._sp._put, "me/player/pause", **where)

    # --- catalog ---------------------------------------------------------------------------------

    def artist_albums(
        self,
        artist_id: str,
        *,
        include_groups: str = "album,single",
        limit: int = SEARCH_MAX,
        max_items: int = 50,
    ) -> list[AlbumInfo]:
        """Up to ``max_items`` of the artist's releases, newest first, ``limit`` (at most 10) per page."""
        first = self._call(
            self._sp._get,
            f"artists/{_spotify_id('artist', artist_id)}/albums",
            include_groups=include_groups,
            limit=_clamp(limit, SEARCH_MAX),
        )
        albums: list[AlbumInfo] = []
        for page in self._pages(first):
            albums += [a for a in map(album_from_json, page["items"]) if a is not None]
            if len(albums) >= max_items:
                break
        return albums[:max_items]

    def album_tracks(self, album_id: str) -> list[TrackInfo]:
        """Every track of an album, each with the album filled in (Spotify leaves it out)."""
        data = self._call(self._sp._get, f"albums/{_spotify_id('album', album_id)}")
        album = album_from_json(data)
        return [t for page in self._pages(data["tracks"]) for t in tracks_from_json(page["items"], album)]

    def search_tracks(self, query: str, limit: int = SEARCH_MAX) -> list[TrackInfo]:
        """Spotify's search syntax (``track:"..." artist:...``); ``limit`` is capped at 10."""
        data = self._call(self._sp.search, query, limit=_clamp(limit, SEARCH_MAX), type="track")
        return tracks_from_json(data["tracks"]["items"])

    def search_artists(self, query: str, limit: int = SEARCH_MAX) -> list[ArtistInfo]:
        data = self._call(self._sp.search, query, limit=_clamp(limit, SEARCH_MAX), type="artist")
        return list(artists_from_json(data["artists"]["items"]))

    def track(self, track_id: str) -> TrackInfo:
        data = self._call(self._sp._get, f"tracks/{_spotify_id('track', track_id)}")
        track = track_from_json(data)
        if track is None:
            raise SpotifyNotFound(f"Track {track_id} is not a playable catalog track")
        return track

    def artist(self, artist_id: str) -> ArtistInfo:
        artist = artist_from_json(self._call(self._sp._get, f"artists/{_spotify_id('artist', artist_id)}"))
        if artist is None:
            raise SpotifyNotFound(f"Artist {artist_id} not found")
        return artist

    # --- plumbing --------------------------------------------------------------------------------

    def _call(self, method: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        """Runs one spotipy call, turning every failure into our errors."""
        try:
            return self._once(method, *args, **kwargs)
        except SpotifyAuthExpired:
            if self._reauthorize is None:
                raise
            self._sp._auth = self._reauthorize()  # raises SpotifyAuthExpired when re-consent is due
            return self._once(method, *args, **kwargs)

    def _once(self, method: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        try:
            return method(*args, **kwargs)
        except spotipy.SpotifyException as exc:
            raise _error_from_spotipy(exc) from exc
        except requests.Timeout as exc:
            message = f"Spotify did not answer within {self.timeout:g} s"
            if isinstance(exc, requests.ReadTimeout):
                self._count_call()  # sent, and probably counted by Spotify
                raise SpotifyNoAnswer(message) from exc
            raise SpotifyError(message, permanent=False) from exc
        except requests.RequestException as exc:
            message = f"Could not reach Spotify at {self.base_url}: {type(exc).__name__}"
            raise SpotifyError(message, permanent=False) from exc

    def _pages(self, first: Json, unwrap: Callable[[Json], Json] | None = None) -> Iterator[Json]:
        """The paging object ``first`` and every one after it, following absolute ``next`` links."""
        page: Json | None = first
        for _ in range(MAX_PAGES):
            if not page:
                return
            yield page
            if not page.get("next"):
                return
            body = self._call(self._sp._get, page["next"])
            page = unwrap(body) if unwrap else body


def _error_from_spotipy(exc: spotipy.SpotifyException) -> SpotifyError:
    status = int(exc.http_status)
    message = _spotify_message(exc)
    if status == 429:
        return _rate_limit_error(exc, message)
    if status == 401:
        return SpotifyAuthExpired(message)
    if status == 403:
        not_allowlisted = any(phrase in message.lower() for phrase in _NOT_ALLOWLISTED)
        return SpotifyPermissionDenied(message, not_allowlisted=not_allowlisted)
    if status == 404:
        return SpotifyNotFound(message)
    return SpotifyError(message, status=status, permanent=not (status >= 500 or status == 408))


def premium_required(error: SpotifyError) -> bool:
    """A player command refused because the listener's account has no Premium (a lasting state
    of the account, unlike a missing scope or a removed endpoint)."""
    return isinstance(error, SpotifyPermissionDenied) and PREMIUM_REQUIRED in error.message


def _rate_limit_error(exc: spotipy.SpotifyException, message: str) -> SpotifyError:
    if "QUOTA_EXCEEDED" in f"{exc.reason} {message}".upper():
        # Not the rolling window: the app's quota itself is spent, and waiting 30 s will not help.
        text = f"Spotify quota exceeded for this app (QUOTA_EXCEEDED), not a rate limit: {message}"
        return SpotifyError(text, status=429, permanent=True)
    retry_after = _seconds(exc.headers.get("Retry-After") if exc.headers else None)
    if retry_after is None and "Max Retries" in (exc.msg or ""):
        # spotipy's own 429 for exhausted retries; cannot happen with raise_on_status=False, but
        # if it does it is a server failure, not a rate limit.
        return SpotifyError(f"Spotify kept failing: {message}", permanent=False)
    return SpotifyRateLimited(
        message, retry_after=DEFAULT_RETRY_AFTER if retry_after is None else retry_after
    )


def _spotify_message(exc: spotipy.SpotifyException) -> str:
    """Spotify's own words: spotipy prefixes its message with ``<url>:\\n ``."""
    msg = str(exc.msg or "")
    _, separator, rest = msg.partition(":\n ")
    text = (rest if separator else msg).strip() or "no message"
    if isinstance(exc.reason, str) and exc.reason and exc.reason not in text:
        text += f" ({exc.reason})"  # Spotify's machine-readable reason, e.g. PREMIUM_REQUIRED
    return f"Spotify answered {exc.http_status}: {text}"


def _seconds(value: object) -> int | None:
    try:
        return max(0, int(str(value).strip())) if value is not None else None
    except ValueError:
        return None


def _recently_played(entries: list[Json], after: int | None) -> RecentlyPlayed:
    seen: set[tuple[str, str]] = set()
    items: list[PlayedItem] = []
    for entry in entries:
        item = played_item_from_json(entry)
        if item is not None and (key := (item.track.id, entry["played_at"])) not in seen:
            seen.add(key)
            items.append(item)
    items.sort(key=lambda item: item.played_at, reverse=True)
    # From every entry, even skipped ones (local files): they were played too.
    moments = [unix_ms(played_at_parse(e["played_at"])) for e in entries if e.get("played_at")]
    return RecentlyPlayed(items=items, after_cursor=max(moments, default=after))


def _check_time_range(time_range: str) -> None:
    if time_range not in TIME_RANGES:
        raise ValueError(f"time_range must be one of {', '.join(TIME_RANGES)}, not {time_range!r}")


def _clamp(limit: int, maximum: int) -> int:
    return max(1, min(int(limit), maximum))


def _spotify_id(kind: str, value: str) -> str:
    """A bare base62 id (also from a ``spotify:<kind>:`` URI), so nothing odd reaches a URL path."""
    prefix = f"spotify:{kind}:"
    bare = value[len(prefix) :] if value.startswith(prefix) else value
    if not _ID.fullmatch(bare):
        raise ValueError(f"not a Spotify {kind} id: {value!r}")
    return bare


def _device_id(value: str) -> str:
    if not _DEVICE_ID.fullmatch(value):
        raise ValueError(f"not a Spotify device id: {value!r}")
    return value


def _track_uri(value: str) -> str:
    return f"spotify:track:{_spotify_id('track', value)}"


def _batches(items: Sequence[T], size: int) -> Iterator[Sequence[T]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]
