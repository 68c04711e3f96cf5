"""The demo data files: a compact columnar catalog (``catalog.json.gz``) and ``listeners.json``.

The Spotify emulator (``standins/``) reads the same files with its own reader, as a separate
program would. In memory these are plain dicts:

- artist ``{id, name}``; album ``{id, name, release_date, artist_ids}``;
- track ``{id, name, album_id, artist_ids, duration_ms, popularity, genre, subgenre,
  <TRACK_FEATURES>, explicit}``; playlist ``{id, name, genre, subgenre, track_ids}``.

A track's ``genre``/``subgenre`` are its source file's label (the catalog derives its genre
from its artists when it loads the file). ``explicit`` is what the source said, None when it
said nothing; the column is written only when some track has a flag, and a file without it
reads as "nobody said" (the demo's source has no flags).

On disk tracks point at artists and albums (and playlists at tracks) by list index, which
keeps the file a few hundred KB: 22-character ids are the part gzip cannot shrink.
"""

from __future__ import annotations

import gzip
import io
import json
from pathlib import Path
from typing import Any

from catalog.types import TRACK_FEATURES

CATALOG_FORMAT = "personalais-demo-catalog/1"
LISTENERS_FORMAT = "personalais-demo-listeners/1"
_TRACK_SCALARS = ("id", "name", "duration_ms", "popularity", "genre", "subgenre", *TRACK_FEATURES)
_TRACK_OPTIONAL = ("explicit",)  # written only when some track has a value; missing reads as None

Plain = dict[str, Any]


class DemoFileError(ValueError):
    """The file is missing, unreadable or not in the format this code writes."""


def catalog_file_write(path: Path, catalog: Plain, *, source: str) -> None:
    """Write byte-identical output for identical input (gzip mtime 0, no file name)."""
    artist_index = {artist["id"]: i for i, artist in enumerate(catalog["artists"])}
    album_index = {album["id"]: i for i, album in enumerate(catalog["albums"])}
    track_index = {track["id"]: i for i, track in enumerate(catalog["tracks"])}
    tracks = catalog["tracks"]
    document = {
        "format": CATALOG_FORMAT,
        "source": source,
        "artists": {
            "id": [a["id"] for a in catalog["artists"]],
            "name": [a["name"] for a in catalog["artists"]],
        },
        "albums": {
            "id": [a["id"] for a in catalog["albums"]],
            "name": [a["name"] for a in catalog["albums"]],
            "release_date": [a["release_date"] for a in catalog["albums"]],
            "artists": [[artist_index[i] for i in a["artist_ids"]] for a in catalog["albums"]],
        },
        "tracks": {
            **{field: [t[field] for t in tracks] for field in _TRACK_SCALARS},
            **{
                field: [t.get(field) for t in tracks]
                for field in _TRACK_OPTIONAL
                if any(t.get(field) is not None for t in tracks)
            },
            "album": [album_index[t["album_id"]] if t["album_id"] else -1 for t in tracks],
            "artists": [[artist_index[i] for i in t["artist_ids"]] for t in tracks],
        },
        "playlists": {
            "id": [p["id"] for p in catalog["playlists"]],
            "name": [p["name"] for p in catalog["playlists"]],
            "genre": [p["genre"] for p in catalog["playlists"]],
            "subgenre": [p["subgenre"] for p in catalog["playlists"]],
            "tracks": [[track_index[i] for i in p["track_ids"]] for p in catalog["playlists"]],
        },
    }
    payload = json.dumps(document, ensure_ascii=False, separators=(",", ":")).encode()
    buffer = io.BytesIO()
    with gzip.GzipFile(filename="", mode="wb", fileobj=buffer, mtime=0, compresslevel=9) as gz:
        gz.write(payload)
    path.write_bytes(buffer.getvalue())


def catalog_file_read(path: Path) -> Plain:
    """The catalog as lists of plain dicts; raises DemoFileError on anything unexpected."""
    try:
        document = json.loads(gzip.decompress(Path(path).read_bytes()))
    except (OSError, ValueError) as exc:
        raise DemoFileError(f"cannot read demo catalog {path}: {exc}") from exc
    if not isinstance(document, dict) or document.get("format") != CATALOG_FORMAT:
        raise DemoFileError(f"{path} is not a {CATALOG_FORMAT} file")
    artist_ids = document["artists"]["id"]
    album_ids = document["albums"]["id"]
    artists = [{"id": i, "name": n} for i, n in zip(artist_ids, document["artists"]["name"], strict=True)]
    albums_doc = document["albums"]
    albums = [
        {"id": i, "name": n, "release_date": d, "artist_ids": [artist_ids[a] for a in refs]}
        for i, n, d, refs in zip(
            album_ids, albums_doc["name"], albums_doc["release_date"], albums_doc["artists"], strict=True
        )
    ]
    columns = document["tracks"]
    tracks = []
    for row in range(len(columns["id"])):
        track = {field: columns[field][row] for field in _TRACK_SCALARS}
        track |= {field: columns[field][row] if field in columns else None for field in _TRACK_OPTIONAL}
        album_ref = columns["album"][row]
        track["album_id"] = album_ids[album_ref] if album_ref >= 0 else None
        track["artist_ids"] = [artist_ids[a] for a in columns["artists"][row]]
        tracks.append(track)
    track_ids = columns["id"]
    playlists_doc = document["playlists"]
    playlists = [
        {"id": i, "name": n, "genre": g, "subgenre": s, "track_ids": [track_ids[t] for t in refs]}
        for i, n, g, s, refs in zip(
            playlists_doc["id"],
            playlists_doc["name"],
            playlists_doc["genre"],
            playlists_doc["subgenre"],
            playlists_doc["tracks"],
            strict=True,
        )
    ]
    return {"artists": artists, "albums": albums, "tracks": tracks, "playlists": playlists}


def listeners_file_write(path: Path, listeners: Plain) -> None:
    path.write_text(json.dumps(listeners, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")


def listeners_file_read(path: Path) -> Plain:
    """``{"format", "anchor", "listeners": [...]}``; see build_demo_catalog for the fields."""
    try:
        document = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise DemoFileError(f"cannot read demo listeners {path}: {exc}") from exc
    if not isinstance(document, dict) or document.get("format") != LISTENERS_FORMAT:
        raise DemoFileError(f"{path} is not a {LISTENERS_FORMAT} file")
    return document
