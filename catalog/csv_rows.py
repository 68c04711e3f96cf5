"""Rows of the Kaggle "Spotify Music Data" CSV schema, parsed into catalog records (pure).

Spotify no longer serves popularity, genres, audio features or public playlists to new apps,
so the recommender's catalog recall runs on data we import; ``catalog.services`` writes it.

The CSVs carry artist names but no artist ids: ``artist_id_for_name`` derives a stable
Spotify-like id from the normalized name, so the same artist gets the same id in every file.
"""

from __future__ import annotations

import dataclasses
import hashlib
import math
import re
import unicodedata
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from catalog.types import (
    TRACK_FEATURES,
    Catalog,
    CatalogAlbum,
    CatalogArtist,
    CatalogPlaylist,
    CatalogTrack,
    SkippedRow,
)

# The columns a row needs; the CSVs have more (urls, analysis links, time signature).
REQUIRED_COLUMNS = frozenset(
    {
        "track_id",
        "track_name",
        "track_artist",
        "track_album_id",
        "track_album_name",
        "track_album_release_date",
        "track_popularity",
        "duration_ms",
        "playlist_id",
        "playlist_name",
        "playlist_genre",
        "playlist_subgenre",
        *TRACK_FEATURES,
    }
)
_INT_FEATURES = frozenset({"mode", "key"})
# An optional column (Spotify's flag, as some exports carry it); blank or unreadable: not said.
EXPLICIT_COLUMN = "explicit"
_TRUE = frozenset({"true", "1", "yes", "t", "y"})
_FALSE = frozenset({"false", "0", "no", "f", "n"})
_SPOTIFY_ID = re.compile(r"^[0-9A-Za-z]{22}$")
_BASE62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
# Artist names that contain the separator; splitting them would invent artists like "The Creator".
_COMMA_NAMES = (
    "Tyler, The Creator",
    "Earth, Wind & Fire",
    "Crosby, Stills, Nash & Young",
    "Crosby, Stills & Nash",
    "Emerson, Lake & Palmer",
    "Blood, Sweat & Tears",
    "Peter, Paul and Mary",
)


class CatalogRowError(ValueError):
    """A row that cannot become a track; the message is the reason it was skipped."""


@dataclass(frozen=True)
class CatalogRow:
    """One CSV row: a track as it appears in one playlist."""

    track: CatalogTrack
    playlist_id: str
    playlist_name: str


def artist_name_normalize(name: str) -> str:
    return " ".join(unicodedata.normalize("NFKC", name).casefold().split())


def artist_id_for_name(name: str) -> str:
    """A Spotify-like id that is the same for the same artist name in every file."""
    return spotify_like_id(artist_name_normalize(name))


def spotify_like_id(text: str) -> str:
    """22 base62 characters from sha256(text): the shape of a Spotify id, stable across runs."""
    number = int.from_bytes(hashlib.sha256(text.encode()).digest(), "big")
    chars = []
    for _ in range(22):
        number, digit = divmod(number, 62)
        chars.append(_BASE62[digit])
    return "".join(chars)


def artist_names_split(value: str) -> list[str]:
    """The names in a comma-separated artist string, keeping names such as "Tyler, The Creator"."""
    protected: dict[str, str] = {}
    for i, name in enumerate(_COMMA_NAMES):
        if name in value:
            placeholder = f"\x00{i}\x00"
            protected[placeholder] = name
            value = value.replace(name, placeholder)
    names: list[str] = []
    for part in value.split(","):
        name = protected.get(part.strip(), part.strip())
        if name and name not in names:
            names.append(name)
    return names


def _number(row: Mapping[str, str], column: str, *, integer: bool) -> float | int | None:
    text = (row.get(column) or "").strip()
    if not text:
        return None
    try:
        value = float(text)
    except ValueError:
        raise CatalogRowError(f"non-numeric {column}") from None
    if not math.isfinite(value):
        raise CatalogRowError(f"non-numeric {column}")
    if integer:
        if not value.is_integer():
            raise CatalogRowError(f"non-integer {column}")
        return int(value)
    return value


def explicit_parse(text: str | None) -> bool | None:
    """The ``explicit`` column: True/False as CSVs spell them, None when blank or unreadable."""
    value = (text or "").strip().lower()
    return True if value in _TRUE else False if value in _FALSE else None


def catalog_row_parse(row: Mapping[str, str]) -> CatalogRow:
    """Raises CatalogRowError (its message is the reason) for a row that cannot be a track."""
    track_id = (row.get("track_id") or "").strip()
    if not track_id:
        raise CatalogRowError("missing track id")
    if not _SPOTIFY_ID.match(track_id):
        raise CatalogRowError("malformed track id")
    name = (row.get("track_name") or "").strip()
    if not name:
        raise CatalogRowError("missing track name")
    artists = tuple(
        CatalogArtist(artist_id_for_name(n), n) for n in artist_names_split(row.get("track_artist") or "")
    )
    if not artists:
        raise CatalogRowError("missing artist")
    album_id = (row.get("track_album_id") or "").strip()
    album = None
    if _SPOTIFY_ID.match(album_id):
        album = CatalogAlbum(
            spotify_id=album_id,
            name=(row.get("track_album_name") or "").strip()[:500],
            release_date=(row.get("track_album_release_date") or "").strip()[:10],
        )
    duration_ms = _number(row, "duration_ms", integer=True)
    popularity = _number(row, "track_popularity", integer=True)
    if (duration_ms or 0) < 0 or not 0 <= (popularity or 0) <= 100:
        raise CatalogRowError("out-of-range number")
    features = {f: _number(row, f, integer=f in _INT_FEATURES) for f in TRACK_FEATURES}
    track = CatalogTrack(
        spotify_id=track_id,
        name=name[:500],
        album=album,
        artists=artists,
        duration_ms=int(duration_ms or 0),
        popularity=None if popularity is None else int(popularity),
        genre=(row.get("playlist_genre") or "").strip()[:60],
        subgenre=(row.get("playlist_subgenre") or "").strip()[:60],
        features=features,
        explicit=explicit_parse(row.get(EXPLICIT_COLUMN)),
    )
    return CatalogRow(
        track=track,
        playlist_id=(row.get("playlist_id") or "").strip(),
        playlist_name=(row.get("playlist_name") or "").strip()[:300],
    )


def catalog_from_rows(rows: Iterable[Mapping[str, str]]) -> tuple[Catalog, list[SkippedRow]]:
    """Merge rows into unique tracks and ordered playlists.

    A track listed in several playlists takes its most frequent playlist genre (the first
    seen on a tie) as its file's label; its genre is settled when it is written, by its
    artists' consensus. Its explicit flag is the first row's that says one. A playlist keeps
    the order of its rows, each track once. An album's artists are those on all of its tracks,
    else the first track's lead artist.
    """
    skipped: list[SkippedRow] = []
    by_track: dict[str, list[CatalogRow]] = {}
    playlists: dict[str, tuple[CatalogRow, dict[str, None]]] = {}
    for number, raw in enumerate(rows, start=1):
        try:
            row = catalog_row_parse(raw)
        except CatalogRowError as exc:
            skipped.append(SkippedRow(number, str(exc)))
            continue
        by_track.setdefault(row.track.spotify_id, []).append(row)
        if row.playlist_id:
            _first, track_ids = playlists.setdefault(row.playlist_id, (row, {}))
            track_ids.setdefault(row.track.spotify_id, None)

    album_artists = _album_artists(group[0].track for group in by_track.values())
    tracks = []
    for group in by_track.values():
        track = group[0].track
        genre, subgenre = Counter((r.track.genre, r.track.subgenre) for r in group).most_common(1)[0][0]
        album = track.album
        if album is not None:
            album = CatalogAlbum(
                album.spotify_id, album.name, album.release_date, album_artists[album.spotify_id]
            )
        explicit = next((r.track.explicit for r in group if r.track.explicit is not None), None)
        tracks.append(
            dataclasses.replace(track, album=album, genre=genre, subgenre=subgenre, explicit=explicit)
        )
    catalog_playlists = [
        CatalogPlaylist(
            spotify_id=playlist_id,
            name=first.playlist_name,
            genre=first.track.genre,
            subgenre=first.track.subgenre,
            track_ids=tuple(track_ids),
        )
        for playlist_id, (first, track_ids) in playlists.items()
    ]
    return Catalog(tracks=tracks, playlists=catalog_playlists), skipped


def _album_artists(tracks: Iterable[CatalogTrack]) -> dict[str, tuple[CatalogArtist, ...]]:
    by_album: dict[str, list[CatalogTrack]] = defaultdict(list)
    for track in tracks:
        if track.album is not None:
            by_album[track.album.spotify_id].append(track)
    result = {}
    for album_id, album_tracks in by_album.items():
        common = [a for a in album_tracks[0].artists if all(a in t.artists for t in album_tracks)]
        result[album_id] = tuple(common) or album_tracks[0].artists[:1]
    return result
