"""Our own music catalog, imported from the Kaggle "Spotify Music Data" CSV schema.

Spotify no longer serves popularity, genres, audio features or public playlists to new apps,
so the recommender's catalog recall runs on data we import. Parsing is pure (rows in,
dataclasses out); ``catalog_import`` writes them in a handful of set-based statements:
COPY into a temporary table, then ``INSERT … ON CONFLICT DO UPDATE … WHERE IS DISTINCT FROM``,
so re-importing the same data rewrites no row at all.

The CSVs carry artist names but no artist ids: ``artist_id_for_name`` derives a stable
Spotify-like id from the normalized name, so the same artist gets the same id in every file.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import math
import re
import unicodedata
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.db import connection, models, transaction

from spotify.demo_files import TRACK_FEATURES
from spotify.models import Album, Artist, Playlist, PlaylistItem, Track, TrackArtist

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
class CatalogArtist:
    spotify_id: str
    name: str


@dataclass(frozen=True)
class CatalogAlbum:
    spotify_id: str
    name: str
    release_date: str
    artists: tuple[CatalogArtist, ...] = ()


@dataclass(frozen=True)
class CatalogTrack:
    spotify_id: str
    name: str
    album: CatalogAlbum | None
    artists: tuple[CatalogArtist, ...]
    duration_ms: int
    popularity: int | None
    genre: str
    subgenre: str
    features: Mapping[str, float | int | None] = field(default_factory=dict)


@dataclass(frozen=True)
class CatalogPlaylist:
    spotify_id: str
    name: str
    genre: str
    subgenre: str
    track_ids: tuple[str, ...]

    @property
    def description(self) -> str:
        return " · ".join(part for part in (self.genre, self.subgenre) if part)


@dataclass(frozen=True)
class CatalogRow:
    """One CSV row: a track as it appears in one playlist."""

    track: CatalogTrack
    playlist_id: str
    playlist_name: str


@dataclass
class Catalog:
    tracks: list[CatalogTrack]
    playlists: list[CatalogPlaylist]


@dataclass(frozen=True)
class SkippedRow:
    row_number: int  # 1-based among the data rows given
    reason: str


@dataclass
class ImportResult:
    tracks: int = 0
    tracks_created: int = 0
    tracks_changed: int = 0  # inserted or updated; 0 when the same data is imported again
    artists: int = 0
    albums: int = 0
    playlists: int = 0
    playlists_changed: int = 0  # playlists whose row or ordered items were rewritten
    playlist_items: int = 0
    skipped: list[SkippedRow] = field(default_factory=list)
    track_ids: list[str] = field(default_factory=list)  # Spotify ids, in catalog order
    track_pks: list[int] = field(default_factory=list)  # our primary keys, same order (tasks take these)

    def summary(self) -> str:
        text = (
            f"{self.tracks} tracks ({self.tracks_created} new, {self.tracks_changed} changed), "
            f"{self.artists} artists, {self.albums} albums, {self.playlists} playlists "
            f"({self.playlist_items} items, {self.playlists_changed} changed)"
        )
        if self.skipped:
            reasons = Counter(skip.reason for skip in self.skipped)
            detail = ", ".join(f"{reason}: {count}" for reason, count in reasons.most_common())
            text += f"; skipped {len(self.skipped)} rows ({detail})"
        return text


# --- Parsing (pure) ------------------------------------------------------------------------------


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
    )
    return CatalogRow(
        track=track,
        playlist_id=(row.get("playlist_id") or "").strip(),
        playlist_name=(row.get("playlist_name") or "").strip()[:300],
    )


def catalog_from_rows(rows: Iterable[Mapping[str, str]]) -> tuple[Catalog, list[SkippedRow]]:
    """Merge rows into unique tracks and ordered playlists.

    A track listed in several playlists takes its most frequent playlist genre (the first
    seen on a tie). A playlist keeps the order of its rows, each track once. An album's
    artists are those on all of its tracks, else the first track's lead artist.
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
        tracks.append(dataclasses.replace(track, album=album, genre=genre, subgenre=subgenre))
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


# --- Plain form (the demo file) ------------------------------------------------------------------


def catalog_to_plain(catalog: Catalog, *, decimals: int | None = None) -> dict[str, list[dict[str, Any]]]:
    """The catalog as demo_files' plain dicts; ``decimals`` rounds float features."""
    artists: dict[str, dict[str, Any]] = {}
    albums: dict[str, dict[str, Any]] = {}
    tracks = []
    for track in catalog.tracks:
        for artist in (*track.artists, *(track.album.artists if track.album else ())):
            artists.setdefault(artist.spotify_id, {"id": artist.spotify_id, "name": artist.name})
        if track.album is not None:
            albums.setdefault(
                track.album.spotify_id,
                {
                    "id": track.album.spotify_id,
                    "name": track.album.name,
                    "release_date": track.album.release_date,
                    "artist_ids": [a.spotify_id for a in track.album.artists],
                },
            )
        features = {
            f: round(v, decimals) if decimals is not None and isinstance(v, float) else v
            for f, v in ((f, track.features.get(f)) for f in TRACK_FEATURES)
        }
        tracks.append(
            {
                "id": track.spotify_id,
                "name": track.name,
                "album_id": track.album.spotify_id if track.album else None,
                "artist_ids": [a.spotify_id for a in track.artists],
                "duration_ms": track.duration_ms,
                "popularity": track.popularity,
                "genre": track.genre,
                "subgenre": track.subgenre,
                **features,
            }
        )
    playlists = [
        {
            "id": p.spotify_id,
            "name": p.name,
            "genre": p.genre,
            "subgenre": p.subgenre,
            "track_ids": list(p.track_ids),
        }
        for p in catalog.playlists
    ]
    return {
        "artists": list(artists.values()),
        "albums": list(albums.values()),
        "tracks": tracks,
        "playlists": playlists,
    }


def catalog_from_plain(data: Mapping[str, Sequence[Mapping[str, Any]]]) -> Catalog:
    artists = {a["id"]: CatalogArtist(a["id"], a["name"]) for a in data["artists"]}
    albums = {
        a["id"]: CatalogAlbum(
            a["id"], a["name"], a["release_date"], tuple(artists[i] for i in a["artist_ids"])
        )
        for a in data["albums"]
    }
    tracks = [
        CatalogTrack(
            spotify_id=t["id"],
            name=t["name"],
            album=albums[t["album_id"]] if t["album_id"] else None,
            artists=tuple(artists[i] for i in t["artist_ids"]),
            duration_ms=t["duration_ms"],
            popularity=t["popularity"],
            genre=t["genre"],
            subgenre=t["subgenre"],
            features={f: t.get(f) for f in TRACK_FEATURES},
        )
        for t in data["tracks"]
    ]
    playlists = [
        CatalogPlaylist(p["id"], p["name"], p["genre"], p["subgenre"], tuple(p["track_ids"]))
        for p in data["playlists"]
    ]
    return Catalog(tracks=tracks, playlists=playlists)


# --- Writing -----------------------------------------------------------------------------------------


def catalog_import_rows(rows: Iterable[Mapping[str, str]]) -> ImportResult:
    """Parse and upsert rows of the Kaggle schema; bad rows are skipped and reported, not fatal."""
    catalog, skipped = catalog_from_rows(rows)
    result = catalog_import(catalog)
    result.skipped = skipped
    return result


@transaction.atomic
def catalog_import(catalog: Catalog) -> ImportResult:
    """Upsert artists, albums, tracks, their links and catalog playlists (owner null).

    Idempotent: rows already equal are left untouched, and a track's artist links or a
    playlist's items are rewritten only when their ordered content differs. A playlist's
    items become exactly the tracks given for it here, so import all of its rows at once.
    """
    tracks = catalog.tracks
    track_ids = [t.spotify_id for t in tracks]
    existing_tracks = set(Track.objects.filter(spotify_id__in=track_ids).values_list("spotify_id", flat=True))

    artist_pks = _artists_upsert(tracks)
    album_pks = _albums_upsert(tracks)
    _children_sync(
        Album.artists.through,
        "album_id",
        "artist_id",
        {
            album_pks[t.album.spotify_id]: [artist_pks[a.spotify_id] for a in t.album.artists]
            for t in tracks
            if t.album is not None
        },
        ordered=False,
    )
    track_columns = ["spotify_id", "name", "album_id", "duration_ms", "explicit", "isrc", "popularity"]
    track_columns += ["genre", "subgenre", *TRACK_FEATURES]
    tracks_changed = _upsert(
        Track,
        track_columns,
        [
            (
                t.spotify_id,
                t.name,
                album_pks[t.album.spotify_id] if t.album else None,
                t.duration_ms,
                False,
                "",
                t.popularity,
                t.genre,
                t.subgenre,
                *(t.features.get(f) for f in TRACK_FEATURES),
            )
            for t in tracks
        ],
        conflict=["spotify_id"],
        update=[c for c in track_columns if c not in {"spotify_id", "explicit", "isrc"}],
    )
    track_pks = _pks(Track, track_ids)
    _children_sync(
        TrackArtist,
        "track_id",
        "artist_id",
        {track_pks[t.spotify_id]: [artist_pks[a.spotify_id] for a in t.artists] for t in tracks},
        ordered=True,
    )
    playlists_changed = _catalog_playlists_upsert(catalog.playlists)
    return ImportResult(
        tracks=len(tracks),
        tracks_created=len(set(track_ids) - existing_tracks),
        tracks_changed=tracks_changed,
        artists=len(artist_pks),
        albums=len(album_pks),
        playlists=len(catalog.playlists),
        playlists_changed=playlists_changed,
        playlist_items=sum(len(p.track_ids) for p in catalog.playlists),
        track_ids=track_ids,
        track_pks=[track_pks[i] for i in track_ids],
    )


def catalog_matches_database(catalog: Catalog) -> bool:
    """True when every track, its artists and album, and every catalog playlist with its
    ordered items are stored exactly as in ``catalog``: the cheap check (a few reads, no
    writes) that lets a loader skip an import that would change nothing."""
    track_ids = [t.spotify_id for t in catalog.tracks]
    columns = ["name", "album__spotify_id", "duration_ms", "popularity", "genre", "subgenre", *TRACK_FEATURES]
    stored = {
        row[0]: row[1:]
        for row in Track.objects.filter(spotify_id__in=track_ids).values_list("spotify_id", *columns)
    }
    expected = {
        t.spotify_id: (
            t.name,
            t.album.spotify_id if t.album else None,
            t.duration_ms,
            t.popularity,
            t.genre,
            t.subgenre,
            *(t.features.get(f) for f in TRACK_FEATURES),
        )
        for t in catalog.tracks
    }
    if stored != expected:
        return False
    links: dict[str, list[tuple[str, str]]] = defaultdict(list)
    for track_id, artist_id, name in (
        TrackArtist.objects.filter(track__spotify_id__in=track_ids)
        .order_by("track_id", "position")
        .values_list("track__spotify_id", "artist__spotify_id", "artist__name")
    ):
        links[track_id].append((artist_id, name))
    if links != {t.spotify_id: [(a.spotify_id, a.name) for a in t.artists] for t in catalog.tracks}:
        return False
    albums = {t.album.spotify_id: (t.album.name, t.album.release_date) for t in catalog.tracks if t.album}
    stored_albums = Album.objects.filter(spotify_id__in=albums).values_list(
        "spotify_id", "name", "release_date"
    )
    if {row[0]: row[1:] for row in stored_albums} != albums:
        return False
    return _catalog_playlists_stored(catalog.playlists)


def _catalog_playlists_stored(playlists: Sequence[CatalogPlaylist]) -> bool:
    expected = {p.spotify_id: (p.name, p.description, p.genre, None) for p in playlists}
    rows = Playlist.objects.filter(spotify_id__in=expected).values_list(
        "spotify_id", "name", "description", "genre", "owner_id"
    )
    if {row[0]: row[1:] for row in rows} != expected:
        return False
    items: dict[str, list[str]] = defaultdict(list)
    for playlist_id, track_id in (
        PlaylistItem.objects.filter(playlist__spotify_id__in=expected)
        .order_by("playlist_id", "position")
        .values_list("playlist__spotify_id", "track__spotify_id")
    ):
        items[playlist_id].append(track_id)
    return items == {p.spotify_id: list(p.track_ids) for p in playlists if p.track_ids}


def _artists_upsert(tracks: Sequence[CatalogTrack]) -> dict[str, int]:
    """Genres come from the artist's tracks here, most frequent first, then any held before."""
    names: dict[str, str] = {}
    genre_counts: dict[str, Counter[str]] = defaultdict(Counter)
    for track in tracks:
        for artist in (*track.artists, *(track.album.artists if track.album else ())):
            names.setdefault(artist.spotify_id, artist.name)
        for artist in track.artists:
            if track.genre:
                genre_counts[artist.spotify_id][track.genre] += 1
    held = dict(Artist.objects.filter(spotify_id__in=names).values_list("spotify_id", "genres"))
    rows = []
    for artist_id, name in names.items():
        counts = genre_counts[artist_id]
        genres = sorted(counts, key=lambda g: (-counts[g], g))
        genres += [g for g in held.get(artist_id) or [] if g not in counts]
        rows.append((artist_id, name[:300], _json(genres)))
    _upsert(
        Artist, ["spotify_id", "name", "genres"], rows, conflict=["spotify_id"], update=["name", "genres"]
    )
    return _pks(Artist, list(names))


def _albums_upsert(tracks: Sequence[CatalogTrack]) -> dict[str, int]:
    albums = {t.album.spotify_id: t.album for t in tracks if t.album is not None}
    rows = [(a.spotify_id, a.name, a.release_date) for a in albums.values()]
    columns = ["spotify_id", "name", "release_date"]
    _upsert(Album, columns, rows, conflict=["spotify_id"], update=["name", "release_date"])
    return _pks(Album, list(albums))


def _catalog_playlists_upsert(playlists: Sequence[CatalogPlaylist]) -> int:
    rows = [(p.spotify_id, p.name, p.description, p.genre) for p in playlists]
    columns = ["spotify_id", "name", "description", "genre"]
    changed_rows = _upsert(
        Playlist, columns, rows, conflict=["spotify_id"], update=columns[1:], returning=True
    )
    playlist_pks = _pks(Playlist, [p.spotify_id for p in playlists])
    all_track_ids = {i for p in playlists for i in p.track_ids}
    track_pks = _pks(Track, list(all_track_ids))
    rewritten = _children_sync(
        PlaylistItem,
        "playlist_id",
        "track_id",
        {
            playlist_pks[p.spotify_id]: [track_pks[i] for i in p.track_ids if i in track_pks]
            for p in playlists
        },
        ordered=True,
    )
    return len(set(changed_rows) | rewritten)


def playlist_items_sync(desired: Mapping[int, Sequence[int]]) -> set[int]:
    """Make each playlist's ordered track pks equal ``desired``; returns the playlists rewritten."""
    return _children_sync(PlaylistItem, "playlist_id", "track_id", desired, ordered=True)


# --- Set-based SQL helpers ----------------------------------------------------------------------------


def _json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False)


def _pks(model: type[models.Model], spotify_ids: Sequence[str]) -> dict[str, int]:
    return dict(model.objects.filter(spotify_id__in=spotify_ids).values_list("spotify_id", "pk"))


def _upsert(
    model: type[models.Model],
    columns: Sequence[str],
    rows: Sequence[Sequence[Any]],
    *,
    conflict: Sequence[str] | None = None,
    update: Sequence[str] = (),
    returning: bool = False,
) -> Any:
    """COPY rows into a temporary table, then insert them, updating only rows that differ.

    Returns the number of rows inserted or updated, or their primary keys with ``returning``.
    ``rows`` must not repeat a conflict key (PostgreSQL refuses to update a row twice).
    """
    if not rows:
        return [] if returning else 0
    quote = connection.ops.quote_name
    table = quote(model._meta.db_table)
    stage = quote(f"stage_{model._meta.db_table}")
    cols = ", ".join(quote(c) for c in columns)
    keys = ", ".join(quote(c) for c in conflict or ())
    if conflict is None:
        action = ""
    elif update:
        assignments = ", ".join(f"{quote(c)} = EXCLUDED.{quote(c)}" for c in update)
        differs = " OR ".join(f"{table}.{quote(c)} IS DISTINCT FROM EXCLUDED.{quote(c)}" for c in update)
        action = f"ON CONFLICT ({keys}) DO UPDATE SET {assignments} WHERE {differs}"
    else:
        action = f"ON CONFLICT ({keys}) DO NOTHING"
    with connection.cursor() as cursor:
        cursor.execute(f"DROP TABLE IF EXISTS {stage}")
        cursor.execute(f"CREATE TEMPORARY TABLE {stage} AS SELECT {cols} FROM {table} WITH NO DATA")
        with cursor.copy(f"COPY {stage} ({cols}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
        suffix = f" RETURNING {quote(model._meta.pk.column)}" if returning else ""
        cursor.execute(f"INSERT INTO {table} ({cols}) SELECT {cols} FROM {stage} {action}{suffix}")
        result = [r[0] for r in cursor.fetchall()] if returning else cursor.rowcount
        cursor.execute(f"DROP TABLE {stage}")
    return result


def _children_sync(
    model: type[models.Model], parent: str, child: str, desired: Mapping[int, Sequence[int]], *, ordered: bool
) -> set[int]:
    """Rewrite the children of each parent whose current list differs from ``desired``.

    With ``ordered`` the model has a ``position`` column and order matters; otherwise the
    children are compared as sets. Returns the parents rewritten.
    """
    if not desired:
        return set()
    current: dict[int, list[int]] = defaultdict(list)
    query = model.objects.filter(**{f"{parent}__in": list(desired)})
    query = query.order_by(parent, "position" if ordered else child)
    for parent_pk, child_pk in query.values_list(parent, child):
        current[parent_pk].append(child_pk)
    stale = {
        pk
        for pk, children in desired.items()
        if (current.get(pk, []) if ordered else sorted(current.get(pk, [])))
        != (list(children) if ordered else sorted(children))
    }
    if not stale:
        return stale
    model.objects.filter(**{f"{parent}__in": list(stale)}).delete()
    if ordered:
        rows = [(pk, c, i) for pk in stale for i, c in enumerate(desired[pk])]
        _upsert(model, [parent, child, "position"], rows)
    else:
        rows = [(pk, c) for pk in stale for c in dict.fromkeys(desired[pk])]
        _upsert(model, [parent, child], rows)
    return stale
