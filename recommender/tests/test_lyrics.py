"""The lyrics clients against a local stand-in speaking LRCLIB's and lrc.cx's protocols.

The stand-in's songs are invented lines: no real lyrics belong in this repository.
"""

from __future__ import annotations

import json
import socket
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

import pytest
from django.core.cache import cache

from catalog.models import Track
from recommender.lyrics import (
    LrcCxClient,
    LrclibClient,
    LyricsQuery,
    LyricsUnavailable,
    _down_key,
    lyrics_for_query,
    lyrics_for_track,
)
from tests.factories import AlbumFactory, ArtistFactory, TrackFactory

SAD_SONG = "I cry alone at the station\nTears on the timetable, goodbye\nNobody waits, lonely again"
SAD_SONG_LRC = "[ar:Nobody Real]\n[00:01.00]I cry alone at the station\n[00:04.50]Tears and goodbye, lonely"


@dataclass
class LyricsStandIn:
    """LRCLIB (``/api/get``) and lrc.cx (``/api/v1/lyrics/single``) over real HTTP.

    ``songs`` maps (artist, title) to a record: {"plain": …, "synced": …, "instrumental": …}.
    Artist "Slow Poke" answers after a second; "Broken Server" answers 500 and "Bad Query" 400.
    """

    songs: dict[tuple[str, str], dict] = field(default_factory=dict)
    requests: list[tuple[str, dict[str, str], str]] = field(default_factory=list)
    base_url: str = ""

    def handler(self) -> type[BaseHTTPRequestHandler]:
        stand_in = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                url = urlsplit(self.path)
                query = {key: values[0] for key, values in parse_qs(url.query).items()}
                stand_in.requests.append((url.path, query, self.headers.get("User-Agent", "")))
                if url.path == "/api/get":
                    self._lrclib(query)
                elif url.path == "/api/v1/lyrics/single":
                    self._lrccx(query)
                else:
                    self._send(404, "text/plain", "no such endpoint")

            def _trouble(self, artist: str) -> bool:
                if artist == "Slow Poke":
                    time.sleep(1.0)
                if artist == "Broken Server":
                    self._send(500, "text/plain", "oops")
                    return True
                if artist == "Bad Query":
                    self._send(400, "application/json", '{"code": 400, "name": "BadRequest"}')
                    return True
                return False

            def _lrclib(self, query: dict[str, str]) -> None:
                artist, title = query.get("artist_name", ""), query.get("track_name", "")
                if self._trouble(artist):
                    return
                song = stand_in.songs.get((artist, title))
                if song is None:
                    body = {"code": 404, "name": "TrackNotFound", "message": "Failed to find specified track"}
                    self._send(404, "application/json", json.dumps(body))
                    return
                record = {
                    "id": 1,
                    "trackName": title,
                    "artistName": artist,
                    "instrumental": song.get("instrumental", False),
                    "plainLyrics": song.get("plain"),
                    "syncedLyrics": song.get("synced"),
                }
                self._send(200, "application/json", json.dumps(record))

            def _lrccx(self, query: dict[str, str]) -> None:
                artist, title = query.get("artist", ""), query.get("title", "")
                if self._trouble(artist):
                    return
                song = stand_in.songs.get((artist, title))
                text = song and (song.get("synced") or song.get("plain"))
                if not text:
                    self._send(404, "text/html", "Lyrics not found.")
                    return
                self._send(200, "text/html", text)

            def _send(self, status: int, content_type: str, body: str) -> None:
                data = body.encode("utf-8")
                self.send_response(status)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, format: str, *args: object) -> None:
                pass

        return Handler


@contextmanager
def running_stand_in() -> Iterator[LyricsStandIn]:
    """A LyricsStandIn served on a free local port for the duration of the block."""
    state = LyricsStandIn()
    server = ThreadingHTTPServer(("127.0.0.1", 0), state.handler())
    server.daemon_threads = True
    state.base_url = f"http://127.0.0.1:{server.server_address[1]}/"
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()
        for client in (LrclibClient(state.base_url), LrcCxClient(state.base_url)):
            cache.delete(_down_key(client))  # the next test's server may get this port


@pytest.fixture
def stand_in() -> Iterator[LyricsStandIn]:
    with running_stand_in() as state:
        yield state


def unique(name: str) -> str:
    """Cache entries outlive a test run, so every test asks for songs no earlier run asked for."""
    return f"{name} {uuid.uuid4().hex[:8]}"


def test_lrclib_client_sends_the_track_signature_and_returns_plain_lyrics(stand_in):
    stand_in.songs[("Ada", "Station")] = {"plain": SAD_SONG, "synced": SAD_SONG_LRC}
    client = LrclibClient(stand_in.base_url, user_agent="PersonalAIs-test/1")

    text = client.fetch(LyricsQuery(title="Station", artist="Ada", album="Trains", duration_s=201))

    assert text == SAD_SONG
    path, query, user_agent = stand_in.requests[0]
    assert path == "/api/get"
    assert query == {"artist_name": "Ada", "track_name": "Station", "album_name": "Trains", "duration": "201"}
    assert user_agent == "PersonalAIs-test/1"


def test_lrclib_client_falls_back_to_synced_lyrics_without_their_time_tags(stand_in):
    stand_in.songs[("Ada", "Station")] = {"plain": None, "synced": SAD_SONG_LRC}

    text = LrclibClient(stand_in.base_url).fetch(LyricsQuery(title="Station", artist="Ada"))

    assert text == "I cry alone at the station\nTears and goodbye, lonely"


def test_lrclib_client_has_nothing_for_an_unknown_or_instrumental_track(stand_in):
    stand_in.songs[("Ada", "Interlude")] = {"instrumental": True}
    client = LrclibClient(stand_in.base_url)

    assert client.fetch(LyricsQuery(title="Nope", artist="Ada")) is None
    assert client.fetch(LyricsQuery(title="Interlude", artist="Ada")) is None


def test_lrccx_client_returns_the_lrc_text_without_time_tags(stand_in):
    stand_in.songs[("Ada", "Station")] = {"synced": SAD_SONG_LRC}
    client = LrcCxClient(stand_in.base_url)

    assert client.fetch(LyricsQuery(title="Station", artist="Ada", album="Trains")).startswith("I cry alone")
    assert client.fetch(LyricsQuery(title="Nope", artist="Ada")) is None
    assert stand_in.requests[0][:2] == (
        "/api/v1/lyrics/single",
        {"title": "Station", "artist": "Ada", "album": "Trains"},
    )


def test_a_slow_provider_times_out_as_a_transient_error(stand_in):
    client = LrclibClient(stand_in.base_url, connect_timeout=1, read_timeout=0.2)
    started = time.perf_counter()

    with pytest.raises(LyricsUnavailable) as raised:
        client.fetch(LyricsQuery(title="Anything", artist="Slow Poke"))

    assert raised.value.permanent is False
    assert "timed out" in str(raised.value)
    assert time.perf_counter() - started < 0.9


def test_server_errors_are_transient_and_refused_queries_permanent(stand_in):
    client = LrcCxClient(stand_in.base_url)

    with pytest.raises(LyricsUnavailable) as server_error:
        client.fetch(LyricsQuery(title="X", artist="Broken Server"))
    with pytest.raises(LyricsUnavailable) as refused:
        client.fetch(LyricsQuery(title="X", artist="Bad Query"))

    assert server_error.value.permanent is False
    assert refused.value.permanent is True


def test_it_caches_a_hit_so_asking_again_makes_no_request(stand_in):
    title = unique("Station")
    stand_in.songs[("Ada", title)] = {"plain": SAD_SONG}
    providers = [LrclibClient(stand_in.base_url)]

    first = lyrics_for_query(LyricsQuery(title=title, artist="Ada"), providers=providers)
    second = lyrics_for_query(LyricsQuery(title=title, artist="Ada"), providers=providers)

    assert first.status == "found" and first.source == "lrclib" and first.text == SAD_SONG
    assert second == first
    assert len(stand_in.requests) == 1


def test_it_caches_a_miss_so_asking_again_makes_no_request(stand_in):
    query = LyricsQuery(title=unique("Unknown"), artist="Ada")
    providers = [LrclibClient(stand_in.base_url), LrcCxClient(stand_in.base_url)]

    first = lyrics_for_query(query, providers=providers)
    second = lyrics_for_query(query, providers=providers)

    assert first.status == second.status == "missing"
    assert first.text is None
    assert [path for path, _, _ in stand_in.requests] == ["/api/get", "/api/v1/lyrics/single"]


def test_it_asks_the_next_provider_when_the_first_has_nothing(stand_in):
    title = unique("Station")
    stand_in.songs[("Ada", title)] = {"synced": SAD_SONG_LRC}
    lrclib_without_it = LrclibClient(stand_in.base_url + "empty/")
    providers = [lrclib_without_it, LrcCxClient(stand_in.base_url)]

    result = lyrics_for_query(LyricsQuery(title=title, artist="Ada"), providers=providers)

    assert result.status == "found" and result.source == "lrccx"


def test_a_provider_that_refuses_a_query_counts_as_not_having_it(stand_in):
    result = lyrics_for_query(
        LyricsQuery(title=unique("X"), artist="Bad Query"), providers=[LrclibClient(stand_in.base_url)]
    )

    assert result.status == "missing"


def test_it_answers_error_at_once_when_providers_are_unreachable_and_does_not_cache_it():
    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    provider = LrclibClient(f"http://127.0.0.1:{port}/", connect_timeout=1, read_timeout=1)
    try:
        started = time.perf_counter()
        first = lyrics_for_query(LyricsQuery(title=unique("A"), artist="Ada"), providers=[provider])
        later = [
            lyrics_for_query(LyricsQuery(title=unique("B"), artist="Ada"), providers=[provider])
            for _ in range(50)
        ]
        elapsed = time.perf_counter() - started
    finally:
        cache.delete(_down_key(provider))

    assert first.status == "error" and "unreachable" in first.detail
    assert {result.status for result in later} == {"error"}
    assert "skipped" in later[0].detail
    assert elapsed < 1.0


def test_it_answers_missing_without_any_request_when_no_provider_is_configured(db, settings):
    assert settings.LYRICS_PROVIDERS == []  # the offline default
    track = TrackFactory.create()

    result = lyrics_for_track(Track.objects.prefetch_related("artist_links__artist").get(pk=track.pk))

    assert result.status == "missing" and result.text is None
    assert "LYRICS_PROVIDERS" in result.detail


def test_it_asks_the_providers_named_in_settings_with_the_tracks_signature(db, settings, stand_in):
    title = unique("Station")
    stand_in.songs[("Ada", title)] = {"plain": SAD_SONG}
    settings.LYRICS_PROVIDERS = ["lrclib"]
    settings.LRCLIB_BASE_URL = stand_in.base_url
    TrackFactory.create(
        name=title,
        album=AlbumFactory.create(name="Trains"),
        artists=[ArtistFactory.create(name="Ada")],
        duration_ms=201_400,
    )

    result = lyrics_for_track(
        Track.objects.select_related("album").prefetch_related("artist_links__artist").get()
    )

    assert result.status == "found"
    _, query, user_agent = stand_in.requests[0]
    assert query["album_name"] == "Trains" and query["duration"] == "201"
    assert user_agent.startswith("PersonalAIs")
