"""The demo catalog: its plain form (``catalog.demo_files``) and loading it, idempotently.

The load compares the file with what is stored and skips the write when they are equal, so
``seed_demo`` costs a few reads on every run after the first; it then settles the derived
fields (genres by artist consensus, explicit estimates) — only when the file, the deriving code
or the catalog's extent changed since the last pass (``DerivationRecord``).
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import connection

from catalog import explicit, genre_consensus, genres
from catalog import services as catalog_services
from catalog.demo_files import catalog_file_read
from catalog.models import Artist, DerivationRecord, Playlist, PlaylistItem, Track, TrackArtist
from catalog.selectors import catalog_matches_database
from catalog.services import catalog_derived_refresh, catalog_save
from catalog.types import (
    TRACK_FEATURES,
    Catalog,
    CatalogAlbum,
    CatalogArtist,
    CatalogPlaylist,
    CatalogTrack,
    DerivedRefresh,
    ImportResult,
)


@dataclass
class DemoCatalogResult:
    imported: ImportResult | None  # None: the database already held exactly this catalog
    seconds: float
    refreshed: DerivedRefresh | None = None  # when the catalog was already there

    def summary(self) -> str:
        if self.imported is None:
            note = self.refreshed.summary() if self.refreshed else ""
            return (
                f"demo catalog already loaded (checked in {self.seconds:.2f} s){'; ' + note if note else ''}"
            )
        return f"demo catalog loaded in {self.seconds:.2f} s: {self.imported.summary()}"


def demo_catalog_load(*, path: Path | None = None) -> DemoCatalogResult:
    started = time.perf_counter()
    path = path or Path(settings.DEMO_DATA_DIR) / "catalog.json.gz"
    catalog = catalog_from_plain(catalog_file_read(path))
    if catalog_matches_database(catalog):
        digest = derivation_digest(path)
        if DerivationRecord.objects.filter(key=DEMO_DERIVATION, digest=digest).exists():
            return DemoCatalogResult(imported=None, seconds=time.perf_counter() - started)
        refreshed = catalog_derived_refresh()
        DerivationRecord.objects.update_or_create(key=DEMO_DERIVATION, defaults={"digest": digest})
        return DemoCatalogResult(imported=None, seconds=time.perf_counter() - started, refreshed=refreshed)
    return DemoCatalogResult(imported=catalog_save(catalog), seconds=time.perf_counter() - started)


DEMO_DERIVATION = "demo-catalog"
# The code that derives genres and explicit estimates: a change to any of them re-derives once.
DERIVATION_MODULES = (catalog_services, genre_consensus, genres, explicit)


def derivation_digest(path: Path) -> str:
    """The demo file, the deriving code and the catalog's extent (rows and newest id of the tables
    a derivation reads: a sync or an import since the last pass changes it) in one digest."""
    digest = hashlib.sha256(Path(path).read_bytes())
    for module in DERIVATION_MODULES:
        digest.update(Path(module.__file__ or "").read_bytes())
    tables = [model._meta.db_table for model in (Artist, Track, TrackArtist, Playlist, PlaylistItem)]
    extent = " UNION ALL ".join(f"SELECT count(*), COALESCE(max(id), 0) FROM {table}" for table in tables)
    with connection.cursor() as cursor:
        cursor.execute(extent)  # table names from the models, no values
        digest.update(repr(cursor.fetchall()).encode())
    return digest.hexdigest()


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
                "explicit": track.explicit,
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
            explicit=t.get("explicit"),
        )
        for t in data["tracks"]
    ]
    playlists = [
        CatalogPlaylist(p["id"], p["name"], p["genre"], p["subgenre"], tuple(p["track_ids"]))
        for p in data["playlists"]
    ]
    return Catalog(tracks=tracks, playlists=playlists)
