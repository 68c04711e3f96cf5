"""The files of a Spotify data download, read record by record whatever their size (ijson).

Two downloads exist (``/work/shared/ARCHITECTURE.md`` has the field lists):

- *Account data*: ``StreamingHistory_music_N.json`` (older: ``StreamingHistoryN.json``), the last
  year of plays to the minute without URIs; ``YourLibrary.json`` (saved tracks, albums, followed
  and hidden artists); ``PlaylistN.json`` (the listener's playlists and their items).
- *Extended streaming history*: ``Streaming_History_Audio_*.json`` (older: ``endsong_N.json``),
  every play of a lifetime to the second, with URIs, ``skipped`` and ``reason_end``.

Only the fields named here are read from a record; the rest of it — IP addresses, user agents,
usernames, countries, platforms — is dropped with the record as soon as it is read. Episodes,
audiobooks, videos and local files are not music we can match: they come out with ``music`` False
(to be counted) rather than disappearing.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import IO, Any

import ijson

from .errors import DocumentError

SHORT_PLAY_MS = 30_000  # Spotify counts a stream from 30 s: anything shorter is a skip


class Kind(StrEnum):
    LIBRARY = "library"
    PLAYLISTS = "playlists"
    EXTENDED = "extended_history"
    ACCOUNT = "account_history"
    PODCASTS = "podcast_history"  # account data's podcast plays: counted, not imported
    VIDEO = "video_history"  # extended history's video plays: counted, not imported


# Read in this order: the library first, and extended history before account data, so account
# data's minute-precise plays can give way to the same plays known to the second.
KIND_ORDER = (Kind.LIBRARY, Kind.PLAYLISTS, Kind.EXTENDED, Kind.ACCOUNT, Kind.PODCASTS, Kind.VIDEO)
HISTORY_KINDS = (Kind.EXTENDED, Kind.ACCOUNT, Kind.PODCASTS, Kind.VIDEO)

_NAMES = (
    (re.compile(r"YourLibrary\.json", re.I), Kind.LIBRARY),
    (re.compile(r"Playlist\d*\.json", re.I), Kind.PLAYLISTS),
    (re.compile(r"(Streaming_History_Audio_.*|endsong(_\d+)?)\.json", re.I), Kind.EXTENDED),
    (re.compile(r"Streaming_History_Video_.*\.json", re.I), Kind.VIDEO),
    (re.compile(r"StreamingHistory_podcast_?\d*\.json", re.I), Kind.PODCASTS),
    (re.compile(r"StreamingHistory(_music_)?\d*\.json", re.I), Kind.ACCOUNT),
)
_TRACK_URI = re.compile(r"spotify:track:([0-9A-Za-z]{22})")
_ARTIST_URI = re.compile(r"spotify:artist:([0-9A-Za-z]{22})")


def kind_from_name(name: str) -> Kind | None:
    """The kind of a download file by its base name, as Spotify names them; None for any other file."""
    base = name.replace("\\", "/").rsplit("/", 1)[-1]
    for pattern, kind in _NAMES:
        if pattern.fullmatch(base):
            return kind
    return None


def kind_from_content(head: bytes) -> Kind | None:
    """The kind of a JSON file by its first bytes (a renamed file); None when they say nothing we know."""
    top, keys = _first_keys(head)
    if top == "array":
        if {"ts", "ms_played"} <= keys:
            return Kind.EXTENDED
        if {"endTime", "msPlayed"} <= keys:
            return Kind.PODCASTS if "episodeName" in keys else Kind.ACCOUNT
    if top == "map":
        if "playlists" in keys:
            return Kind.PLAYLISTS
        if keys & {"tracks", "albums", "artists", "bannedTracks", "bannedArtists"}:
            return Kind.LIBRARY
    return None


def _first_keys(head: bytes) -> tuple[str, set[str]]:
    """("array" | "map" | "", keys): the keys of the first record of an array, or of the top object."""
    top, keys = "", set()
    try:
        for prefix, event, value in ijson.parse(head):
            if prefix == "" and event in ("start_array", "start_map"):
                top = "array" if event == "start_array" else "map"
            elif event == "map_key" and prefix == ("item" if top == "array" else ""):
                keys.add(value)
            elif top == "array" and prefix == "item" and event == "end_map":
                break
    except ijson.JSONError:
        pass  # a head cut mid-record: what was read so far is enough
    return top, keys


def track_id_from_uri(uri: Any) -> str:
    match = _TRACK_URI.fullmatch(uri) if isinstance(uri, str) else None
    return match.group(1) if match else ""


def artist_id_from_uri(uri: Any) -> str:
    match = _ARTIST_URI.fullmatch(uri) if isinstance(uri, str) else None
    return match.group(1) if match else ""


# --- plays ---------------------------------------------------------------------------------------


@dataclass(slots=True)
class Stream:
    """One play. ``ended_at`` is when it stopped (UTC); ``exact``: to the second (extended
    history) rather than the minute (account data, see ``account_streams``)."""

    ended_at: datetime
    ms_played: int
    music: bool
    track_id: str = ""  # Spotify id; "" when the file has none (account data)
    title: str = ""
    artist: str = ""
    skipped: bool = False
    exact: bool = True


def streams(fileobj: IO[bytes], kind: Kind, name: str) -> Iterator[Stream]:
    """The plays of a history file of ``kind`` (EXTENDED, ACCOUNT, PODCASTS or VIDEO)."""
    if kind == Kind.EXTENDED:
        return _extended_streams(fileobj, name)
    if kind in (Kind.ACCOUNT, Kind.PODCASTS):
        return account_streams(fileobj, name, music=kind == Kind.ACCOUNT)
    return _video_streams(fileobj, name)


def _extended_streams(fileobj: IO[bytes], name: str) -> Iterator[Stream]:
    for number, record in _array_records(fileobj, name):
        ended_at = _instant(record.get("ts"), name, number, "ts")
        ms_played = _milliseconds(record.get("ms_played"), name, number, "ms_played")
        title = record.get("master_metadata_track_name")
        uri = record.get("spotify_track_uri")
        if not title and not uri:  # an episode, an audiobook chapter, or nothing at all
            yield Stream(ended_at, ms_played, music=False)
            continue
        yield Stream(
            ended_at,
            ms_played,
            music=True,
            track_id=track_id_from_uri(uri),
            title=_text(title),
            artist=_text(record.get("master_metadata_album_artist_name")),
            skipped=bool(record.get("skipped")) or ms_played < SHORT_PLAY_MS,
        )


def account_streams(fileobj: IO[bytes], name: str, *, music: bool = True) -> Iterator[Stream]:
    """Account data's plays. ``endTime`` has minute precision, so several plays can end in the
    same minute (skips through a playlist), and a play's time must be unique per listener: the
    k-th play (from 0) of a file ending in a given minute is placed k + 1 milliseconds into it.
    That is stable (the same file gives the same times), never collides with extended history
    (whole seconds) and marks the play as minute-precise (``services`` relies on it)."""
    previous: datetime | None = None
    same_minute = 0
    for number, record in _array_records(fileobj, name):
        minute = _instant(record.get("endTime"), name, number, "endTime")
        same_minute = same_minute + 1 if minute == previous else 0
        previous = minute
        ms_played = _milliseconds(record.get("msPlayed"), name, number, "msPlayed")
        ended_at = minute + timedelta(milliseconds=same_minute + 1)
        if not music or "episodeName" in record or "podcastName" in record:
            yield Stream(ended_at, ms_played, music=False, exact=False)
            continue
        yield Stream(
            ended_at,
            ms_played,
            music=True,
            title=_text(record.get("trackName")),
            artist=_text(record.get("artistName")),
            skipped=ms_played < SHORT_PLAY_MS,
            exact=False,
        )


def _video_streams(fileobj: IO[bytes], name: str) -> Iterator[Stream]:
    for number, record in _array_records(fileobj, name):
        ended_at = _instant(record.get("ts"), name, number, "ts")
        yield Stream(ended_at, _milliseconds(record.get("ms_played"), name, number, "ms_played"), music=False)


def _array_records(fileobj: IO[bytes], name: str) -> Iterator[tuple[int, dict[str, Any]]]:
    """(1-based number, record) for each object of a top-level JSON array, read incrementally."""
    number = 0
    try:
        for number, record in enumerate(ijson.items(fileobj, "item", use_float=True), start=1):
            if not isinstance(record, dict):
                raise DocumentError(name, f"has something other than a play at record {number}.")
            yield number, record
    except ijson.JSONError as exc:
        raise DocumentError(name, f"is not valid JSON (it breaks off after record {number}: {exc}).") from exc


def _instant(value: Any, name: str, number: int, field: str) -> datetime:
    """A UTC instant from "2022-06-17T19:53:06Z" (extended) or "2022-12-05 16:52" (account data)."""
    try:
        moment = datetime.fromisoformat(value)
    except (TypeError, ValueError):
        raise DocumentError(name, f"has no valid “{field}” time at record {number}.") from None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def _milliseconds(value: Any, name: str, number: int, field: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
        raise DocumentError(name, f"has no valid “{field}” at record {number}.")
    return int(value)


def _text(value: Any) -> str:
    return value.strip()[:500] if isinstance(value, str) else ""


# --- library and playlists -----------------------------------------------------------------------


class Section(StrEnum):
    SAVED_TRACK = "tracks"
    SAVED_ALBUM = "albums"
    FOLLOWED_ARTIST = "artists"
    BANNED_TRACK = "bannedTracks"
    BANNED_ARTIST = "bannedArtists"


@dataclass(slots=True)
class LibraryItem:
    """A saved or hidden track, a saved album (``artist`` is its artist) or a followed or hidden artist."""

    section: Section
    track_id: str = ""
    artist_id: str = ""
    title: str = ""
    artist: str = ""


_LIBRARY_PREFIXES = {f"{section.value}.item": section for section in Section}


def library_items(fileobj: IO[bytes], name: str) -> Iterator[LibraryItem]:
    """The items of YourLibrary.json we use; shows, episodes and other sections are passed over."""
    for prefix, record in _objects_at(fileobj, name, _LIBRARY_PREFIXES):
        section = _LIBRARY_PREFIXES[prefix]
        if section in (Section.FOLLOWED_ARTIST, Section.BANNED_ARTIST):
            yield LibraryItem(
                section, artist_id=artist_id_from_uri(record.get("uri")), artist=_text(record.get("name"))
            )
        elif section == Section.SAVED_ALBUM:
            yield LibraryItem(section, artist=_text(record.get("artist")))
        else:
            yield LibraryItem(
                section,
                track_id=track_id_from_uri(record.get("uri")),
                title=_text(record.get("track")),
                artist=_text(record.get("artist")),
            )


@dataclass(slots=True)
class PlaylistEntry:
    """An item of the ``playlist``-th playlist (from 1) of a file; ``music`` False for an episode,
    an audiobook or a local file."""

    playlist: int
    music: bool
    track_id: str = ""
    title: str = ""
    artist: str = ""


def playlist_entries(fileobj: IO[bytes], name: str) -> Iterator[PlaylistEntry]:
    """Every item of every playlist of a PlaylistN.json, one at a time (a playlist may be huge).
    Playlist names and descriptions are not read."""
    playlist = 0
    for prefix, record in _objects_at(
        fileobj, name, {"playlists.item": None, "playlists.item.items.item": None}
    ):
        if prefix == "playlists.item":
            playlist += 1
            continue
        track = record.get("track")
        if not isinstance(track, dict):
            yield PlaylistEntry(playlist, music=False)
            continue
        yield PlaylistEntry(
            playlist,
            music=True,
            track_id=track_id_from_uri(track.get("trackUri")),
            title=_text(track.get("trackName")),
            artist=_text(track.get("artistName")),
        )


def _objects_at(
    fileobj: IO[bytes], name: str, prefixes: dict[str, Any]
) -> Iterator[tuple[str, dict[str, Any]]]:
    """(prefix, object) for each JSON object found at one of ``prefixes``, built one at a time.

    An object holding another wanted one (a playlist holding its items) is announced with an
    empty dict when it starts and not built, so it is never held whole in memory.
    """
    builder: Any = None
    building = ""
    try:
        for prefix, event, value in ijson.parse(fileobj, use_float=True):
            if builder is not None:
                builder.event(event, value)
                if prefix == building and event == "end_map":
                    yield building, builder.value
                    builder = None
            elif event == "start_map" and prefix in prefixes:
                if any(other.startswith(f"{prefix}.") for other in prefixes):
                    yield prefix, {}
                    continue
                builder, building = ijson.ObjectBuilder(), prefix
                builder.event(event, value)
            elif prefix == "" and event in ("start_array", "string", "number", "boolean", "null"):
                raise DocumentError(name, "is not the JSON object Spotify writes there.")
    except ijson.JSONError as exc:
        raise DocumentError(name, f"is not valid JSON ({exc}).") from exc
