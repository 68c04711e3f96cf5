"""Reading the committed demo files the way Spotify would know them: music and listeners, no features.

The files are the app's (``demo/``: ``personalais-demo-catalog/1`` and
``personalais-demo-listeners/1``); the emulator is a separate program, so it reads them with
this reader of its own and keeps only what the 2026 Web API serves: names, artists, albums,
durations and popularity for its search order, and a track's explicit flag where the file has
one (an optional column; the demo's source data has none, so it reads as None, "not known").
Audio features and genres stay in the file.

The catalog file is columnar: tracks point at artists and albums, playlists at tracks, by
list index.
"""

from __future__ import annotations

import gzip
import json
from pathlib import Path
from typing import Any

CATALOG_FORMAT = "personalais-demo-catalog/1"
LISTENERS_FORMAT = "personalais-demo-listeners/1"

Obj = dict[str, Any]


class DemoDataUnreadable(ValueError):
    """The folder holds no demo files this emulator understands."""


def _document(path: Path, expected_format: str, *, zipped: bool) -> Obj:
    try:
        raw = gzip.decompress(path.read_bytes()) if zipped else path.read_bytes()
        document = json.loads(raw)
    except (OSError, ValueError) as exc:
        raise DemoDataUnreadable(f"cannot read {path}: {exc}") from exc
    if not isinstance(document, dict) or document.get("format") != expected_format:
        raise DemoDataUnreadable(f"{path} is not a {expected_format} file")
    return document


def music_read(data_dir: Path) -> tuple[dict[str, Obj], dict[str, Obj], dict[str, Obj]]:
    """(artists, albums, tracks), each keyed by Spotify id."""
    document = _document(Path(data_dir) / "catalog.json.gz", CATALOG_FORMAT, zipped=True)
    artist_columns, album_columns, track_columns = document["artists"], document["albums"], document["tracks"]
    artist_ids: list[str] = artist_columns["id"]
    album_ids: list[str] = album_columns["id"]
    artists = {
        artist_id: {"id": artist_id, "name": name}
        for artist_id, name in zip(artist_ids, artist_columns["name"], strict=True)
    }
    albums = {
        album_columns["id"][row]: {
            "id": album_columns["id"][row],
            "name": album_columns["name"][row],
            "release_date": album_columns["release_date"][row],
            "artist_ids": [artist_ids[index] for index in album_columns["artists"][row]],
        }
        for row in range(len(album_ids))
    }
    explicit = track_columns.get("explicit")
    tracks = {}
    for row, track_id in enumerate(track_columns["id"]):
        album_index = track_columns["album"][row]
        tracks[track_id] = {
            "id": track_id,
            "name": track_columns["name"][row],
            "album_id": album_ids[album_index] if album_index >= 0 else None,
            "artist_ids": [artist_ids[index] for index in track_columns["artists"][row]],
            "duration_ms": track_columns["duration_ms"][row],
            "popularity": track_columns["popularity"][row],
            "explicit": explicit[row] if explicit is not None else None,
        }
    return artists, albums, tracks


def listeners_read(data_dir: Path) -> tuple[dict[str, Obj], str]:
    """The demo listeners keyed by id, and the file's anchor time (their playlists' added_at)."""
    document = _document(Path(data_dir) / "listeners.json", LISTENERS_FORMAT, zipped=False)
    return {listener["id"]: listener for listener in document["listeners"]}, document["anchor"]
