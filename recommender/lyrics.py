"""The lyrics seam: LRCLIB and lrc.cx over HTTP, cached, and quick to give up offline.

Only this module talks to lyrics services. Callers get a ``LyricsResult`` and never an
exception: a track is "found", "missing" (every provider answered and none has it, or no
provider is configured) or "error" (a provider could not be asked; try again later).

Lyrics text lives only in the cache, under a TTL; the database keeps the few mood words
``mood_text.lyrics_mood_words`` derives from it, inside the track's mood text, and the
repository keeps none. Hits and misses are cached per track and provider list (misses for
less long, since lyrics get added upstream). A provider that fails transiently is skipped
for ``LYRICS_PROVIDER_BACKOFF_SECONDS``, so a refresh over thousands of tracks with the
network down costs one timeout, not thousands.

``LYRICS_PROVIDERS`` is empty by default: nothing reaches the network unless configured.
"""

from __future__ import annotations

import hashlib
import logging
import re
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Literal, Protocol
from urllib.parse import urljoin

import requests
from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import ImproperlyConfigured

if TYPE_CHECKING:
    from catalog.models import Track

logger = logging.getLogger(__name__)

LyricsStatus = Literal["found", "missing", "error"]
CACHE_VERSION = 1
_LRC_LINE_TAG = re.compile(r"\[[^\]]*\]")


class LyricsUnavailable(Exception):
    """A provider could not answer. ``permanent``: asking again with the same query will not help."""

    def __init__(self, message: str, *, permanent: bool) -> None:
        super().__init__(message)
        self.permanent = permanent


@dataclass(frozen=True)
class LyricsQuery:
    title: str
    artist: str
    album: str = ""
    duration_s: int | None = None

    @classmethod
    def of_track(cls, track: Track) -> LyricsQuery:
        """The query for a track whose ``album`` and ``artist_links__artist`` are loaded."""
        artists = [link.artist.name for link in track.artist_links.all()]
        return cls(
            title=track.name,
            artist=artists[0] if artists else "",
            album=track.album.name if track.album else "",
            duration_s=round(track.duration_ms / 1000) if track.duration_ms else None,
        )


@dataclass(frozen=True)
class LyricsResult:
    text: str | None
    source: str  # the provider's name when found, else ""
    status: LyricsStatus
    detail: str = ""  # why, for logs and the admin: "no lyrics provider configured", …


class LyricsProvider(Protocol):
    name: str
    base_url: str

    def fetch(self, query: LyricsQuery) -> str | None:
        """The song's lyrics as plain text, or None when the provider has none.

        Raises LyricsUnavailable when it cannot tell.
        """
        ...


def plain_lyrics(text: str) -> str:
    """LRC without its ``[mm:ss.xx]`` time tags and ``[ar:…]`` header lines."""
    lines = (_LRC_LINE_TAG.sub("", line).strip() for line in text.splitlines())
    return "\n".join(line for line in lines if line)


class _HttpLyricsClient:
    name = ""

    def __init__(
        self,
        base_url: str,
        *,
        connect_timeout: float = 3.0,
        read_timeout: float = 10.0,
        user_agent: str = "PersonalAIs",
        session: requests.Session | None = None,
    ) -> None:
        self.base_url = base_url if base_url.endswith("/") else base_url + "/"
        self._timeout = (connect_timeout, read_timeout)
        self._session = session or requests.Session()
        self._session.headers["User-Agent"] = user_agent

    def fetch(self, query: LyricsQuery) -> str | None:
        raise NotImplementedError

    def _get(self, path: str, params: dict[str, str | int]) -> requests.Response | None:
        """The response, or None on 404; errors mapped to LyricsUnavailable."""
        try:
            response = self._session.get(urljoin(self.base_url, path), params=params, timeout=self._timeout)
        except requests.Timeout as exc:
            raise LyricsUnavailable(f"{self.name} timed out: {exc}", permanent=False) from exc
        except requests.RequestException as exc:
            raise LyricsUnavailable(f"{self.name} unreachable: {exc}", permanent=False) from exc
        if response.status_code == 404:
            return None
        if response.status_code == 429 or response.status_code >= 500:
            raise LyricsUnavailable(f"{self.name} answered {response.status_code}", permanent=False)
        if response.status_code >= 400:
            raise LyricsUnavailable(f"{self.name} refused the query: {response.status_code}", permanent=True)
        return response


class LrclibClient(_HttpLyricsClient):
    """LRCLIB (https://lrclib.net/docs): ``GET /api/get`` by track signature.

    200 carries JSON with ``plainLyrics``/``syncedLyrics`` (null when ``instrumental``);
    404 means LRCLIB has no such track. Album and duration sharpen the match (LRCLIB wants
    the duration within ±2 s) but are optional.
    """

    name = "lrclib"

    def fetch(self, query: LyricsQuery) -> str | None:
        params: dict[str, str | int] = {"artist_name": query.artist, "track_name": query.title}
        if query.album:
            params["album_name"] = query.album
        if query.duration_s:
            params["duration"] = query.duration_s
        response = self._get("api/get", params)
        if response is None:
            return None
        try:
            record = response.json()
        except ValueError as exc:
            raise LyricsUnavailable("lrclib sent a body that is not JSON", permanent=False) from exc
        if not isinstance(record, dict) or record.get("instrumental"):
            return None
        text = record.get("plainLyrics") or plain_lyrics(record.get("syncedLyrics") or "")
        return text.strip() or None


class LrcCxClient(_HttpLyricsClient):
    """lrc.cx, the public LrcApi instance (https://docs.lrc.cx/docs/APIv1/lyrics).

    ``GET /api/v1/lyrics/single?title=&artist=&album=`` answers the best match as LRC text
    (Content-Type text/html) and 404 "Lyrics not found." otherwise; 403/421 mean the
    instance wants authentication. (``/lyrics`` is the older alias of the same endpoint.)
    """

    name = "lrccx"

    def fetch(self, query: LyricsQuery) -> str | None:
        params: dict[str, str | int] = {"title": query.title, "artist": query.artist}
        if query.album:
            params["album"] = query.album
        response = self._get("api/v1/lyrics/single", params)
        if response is None:
            return None
        if "charset" not in response.headers.get("Content-Type", ""):
            response.encoding = "utf-8"  # requests would assume ISO-8859-1 for text/html
        return plain_lyrics(response.text) or None


PROVIDER_CLASSES: dict[str, type[_HttpLyricsClient]] = {"lrclib": LrclibClient, "lrccx": LrcCxClient}


def configured_lyrics_providers() -> list[LyricsProvider]:
    """The providers named in ``LYRICS_PROVIDERS``, in order, with their settings."""
    base_urls = {"lrclib": settings.LRCLIB_BASE_URL, "lrccx": settings.LRCCX_BASE_URL}
    providers: list[LyricsProvider] = []
    for name in settings.LYRICS_PROVIDERS:
        if name not in PROVIDER_CLASSES:
            raise ImproperlyConfigured(f"LYRICS_PROVIDERS: unknown provider {name!r}")
        providers.append(
            PROVIDER_CLASSES[name](
                base_urls[name],
                connect_timeout=settings.LYRICS_CONNECT_TIMEOUT_SECONDS,
                read_timeout=settings.LYRICS_READ_TIMEOUT_SECONDS,
                user_agent=settings.LYRICS_USER_AGENT,
            )
        )
    return providers


def _provider_id(provider: LyricsProvider) -> str:
    return f"{provider.name}@{provider.base_url}"


def _result_key(query: LyricsQuery, providers: Sequence[LyricsProvider]) -> str:
    parts = [str(CACHE_VERSION), *map(_provider_id, providers), query.title.lower(), query.artist.lower()]
    parts += [query.album.lower(), str(query.duration_s or "")]
    return "lyrics:" + hashlib.sha256("\x1f".join(parts).encode()).hexdigest()


def _down_key(provider: LyricsProvider) -> str:
    return "lyrics:down:" + hashlib.sha256(_provider_id(provider).encode()).hexdigest()[:32]


def _ask(provider: LyricsProvider, query: LyricsQuery) -> tuple[str | None, str]:
    """(lyrics or None, why the provider could not answer: "" when it did)."""
    down = cache.get(_down_key(provider))
    if down is not None:
        return None, f"{provider.name} skipped, failing lately: {down}"
    try:
        return provider.fetch(query), ""
    except LyricsUnavailable as exc:
        if exc.permanent:
            logger.warning("lyrics: %s (taken as not found)", exc)
            return None, ""
        logger.warning("lyrics: %s; skipping %s for a while", exc, provider.name)
        cache.set(_down_key(provider), str(exc)[:200], settings.LYRICS_PROVIDER_BACKOFF_SECONDS)
        return None, str(exc)


def lyrics_for_query(
    query: LyricsQuery, *, providers: Sequence[LyricsProvider] | None = None
) -> LyricsResult:
    """Ask each provider in turn until one has the lyrics; see the module docstring for statuses."""
    providers = configured_lyrics_providers() if providers is None else providers
    if not providers:
        return LyricsResult(None, "", "missing", "no lyrics provider configured (LYRICS_PROVIDERS)")
    if not query.title or not query.artist:
        return LyricsResult(None, "", "missing", "no title or artist to look up")
    key = _result_key(query, providers)
    cached = cache.get(key)
    if cached is not None:
        return LyricsResult(**cached)
    failures = []
    for provider in providers:
        text, failure = _ask(provider, query)
        if text:
            result = LyricsResult(text, provider.name, "found")
            cache.set(key, asdict(result), settings.LYRICS_CACHE_HIT_SECONDS)
            return result
        if failure:
            failures.append(failure)
    if failures:  # not cached: the next refresh asks again
        return LyricsResult(None, "", "error", "; ".join(failures))
    result = LyricsResult(None, "", "missing", "no provider has lyrics for this track")
    cache.set(key, asdict(result), settings.LYRICS_CACHE_MISS_SECONDS)
    return result


def lyrics_for_track(track: Track, *, providers: Sequence[LyricsProvider] | None = None) -> LyricsResult:
    """Lyrics for a track whose ``album`` and ``artist_links__artist`` are loaded.

    Never raises for provider trouble: offline, the first track waits out one connect
    timeout and answers "error"; the rest answer "error" at once until the back-off ends.
    """
    return lyrics_for_query(LyricsQuery.of_track(track), providers=providers)
