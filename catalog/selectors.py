"""Reads of the catalog that other apps and commands share."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Sequence
from dataclasses import dataclass

from django.db import connection

from catalog.explicit import IMPORT, SPOTIFY, ExplicitEvidence
from catalog.genre_consensus import Listing, Pair
from catalog.models import Album, Playlist, PlaylistItem, Track, TrackArtist
from catalog.types import TRACK_FEATURES, Catalog, CatalogPlaylist


def catalog_matches_database(catalog: Catalog) -> bool:
    """True when every track, its artists and album, and every catalog playlist with its
    ordered items are stored exactly as in ``catalog``: the cheap check (a few reads, no
    writes) that lets a loader skip an import that would change nothing."""
    track_ids = [t.spotify_id for t in catalog.tracks]
    columns = [
        "name",
        "album__spotify_id",
        "duration_ms",
        "popularity",
        "playlist_genre",
        "playlist_subgenre",
        *TRACK_FEATURES,
    ]
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
    said = {t.spotify_id: t.explicit for t in catalog.tracks if t.explicit is not None}
    if said and said != dict(Track.objects.filter(spotify_id__in=said).values_list("spotify_id", "explicit")):
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
    expected = {p.spotify_id: (p.name, p.description, p.genre, p.subgenre, None) for p in playlists}
    rows = Playlist.objects.filter(spotify_id__in=expected).values_list(
        "spotify_id", "name", "description", "genre", "subgenre", "owner_id"
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


@dataclass(frozen=True)
class GenreEvidence:
    """What the genre consensus reads: every labelled listing, every track's credits (artist pks
    in order) and the label each track's file gave it."""

    listings: list[Listing]
    credits: dict[int, tuple[int, ...]]
    labels: dict[int, Pair]


def genre_evidence() -> GenreEvidence:
    """Each catalog playlist's items under its label; a labelled track on no catalog playlist
    counts once under a source of its own label ("label:genre/subgenre")."""
    credits: dict[int, list[int]] = defaultdict(list)
    for track_id, artist_id in TrackArtist.objects.order_by("track_id", "position", "id").values_list(
        "track_id", "artist_id"
    ):
        credits[track_id].append(artist_id)
    listings = []
    listed: set[int] = set()
    items = (
        PlaylistItem.objects.filter(playlist__owner__isnull=True)
        .exclude(playlist__genre="")
        .order_by("playlist_id", "position")
        .values_list("playlist_id", "position", "track_id", "playlist__genre", "playlist__subgenre")
    )
    for playlist_id, position, track_id, genre, subgenre in items:
        listed.add(track_id)
        listings.append(
            Listing(f"playlist:{playlist_id}", position, track_id, genre, subgenre, tuple(credits[track_id]))
        )
    labels = {
        pk: (genre, subgenre)
        for pk, genre, subgenre in Track.objects.exclude(playlist_genre="")
        .order_by("pk")
        .values_list("pk", "playlist_genre", "playlist_subgenre")
    }
    positions: dict[Pair, int] = defaultdict(int)
    for pk, (genre, subgenre) in labels.items():
        if pk not in listed:
            source = f"label:{genre}/{subgenre}"
            listings.append(
                Listing(source, positions[genre, subgenre], pk, genre, subgenre, tuple(credits[pk]))
            )
            positions[genre, subgenre] += 1
    return GenreEvidence(listings, {pk: tuple(artists) for pk, artists in credits.items()}, labels)


def explicit_evidence(
    *, artist_pks: Collection[int] | None = None
) -> tuple[list[ExplicitEvidence], set[int]]:
    """The tracks whose estimate may change — all, or those crediting ``artist_pks`` — and, as
    evidence, every track of every artist credited on them; (evidence, tracks in scope)."""
    track, link = Track._meta.db_table, TrackArtist._meta.db_table
    where = ""
    params: dict[str, list[str] | list[int]] = {"said": [SPOTIFY, IMPORT]}
    in_scope: set[int] = set()
    if artist_pks is not None:
        # Three index lookups; one nested IN over the link table planned as a scan of scans.
        in_scope = _tracks_crediting(artist_pks)
        credited = set(
            TrackArtist.objects.filter(track_id__in=list(in_scope)).values_list("artist_id", flat=True)
        )
        where = "WHERE t.id = ANY(%(ids)s)"
        params["ids"] = list(_tracks_crediting(credited) | in_scope)
    sql = f"""
        SELECT t.id, t.name, CASE WHEN t.explicit_source = ANY(%(said)s) THEN t.explicit END,
               array_remove(array_agg(ta.artist_id ORDER BY ta.position, ta.id), NULL)
          FROM {track} t LEFT JOIN {link} ta ON ta.track_id = t.id
          {where}
         GROUP BY t.id
    """  # table names from models, values as parameters
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    evidence = [ExplicitEvidence(pk, name, said, tuple(artists)) for pk, name, said, artists in rows]
    return evidence, (in_scope if artist_pks is not None else {item.track for item in evidence})


def _tracks_crediting(artist_pks: Collection[int]) -> set[int]:
    return set(TrackArtist.objects.filter(artist_id__in=list(artist_pks)).values_list("track_id", flat=True))
