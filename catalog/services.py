"""The one write path for the catalog: the CSV import, the demo loader and Spotify sync all come here.

Two ways to write, chosen by ``overwrite``:

- a catalog file (CSV import, the demo) is the truth about what it lists: rows become what it
  says, in a handful of set-based statements (``catalog.bulk``), and writing the same data
  again changes nothing;
- what Spotify's Web API tells (sync, search, recall) only adds what we do not know yet: a
  known track keeps the genre, popularity and audio features an import gave it, which the
  2026 API no longer serves.

A listener's own playlists are mirrored here too (``owned_playlist_save`` and the item edits),
so every write to these tables goes through this module.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import replace

from django.db import transaction
from django.db.models import Max

from accounts.models import User
from catalog.bulk import as_json, children_sync, copy_upsert, pks_by_spotify_id
from catalog.csv_rows import catalog_from_rows
from catalog.models import Album, Artist, Playlist, PlaylistItem, Track, TrackArtist
from catalog.types import TRACK_FEATURES, Catalog, CatalogArtist, CatalogPlaylist, CatalogTrack, ImportResult

_TRACK_COLUMNS = [
    "spotify_id",
    "name",
    "album_id",
    "duration_ms",
    "explicit",
    "isrc",
    "popularity",
    "genre",
    "subgenre",
    *TRACK_FEATURES,
]
# An import says nothing about explicit lyrics or ISRCs; whatever Spotify told us of them stays.
_TRACK_OVERWRITTEN = [c for c in _TRACK_COLUMNS if c not in {"spotify_id", "explicit", "isrc"}]


def catalog_import_rows(rows: Iterable[Mapping[str, str]]) -> ImportResult:
    """Parse and write rows of the Kaggle schema; bad rows are skipped and reported, not fatal."""
    catalog, skipped = catalog_from_rows(rows)
    result = catalog_save(catalog)
    result.skipped = skipped
    return result


@transaction.atomic
def catalog_save(catalog: Catalog, *, overwrite: bool = True) -> ImportResult:
    """Write artists, albums, tracks, their links and catalog playlists (owner null).

    With ``overwrite`` rows already equal are left untouched, and a track's artist links or a
    playlist's items are rewritten only when their ordered content differs; a playlist's items
    become exactly the tracks given for it here, so import all of its rows at once. Without it,
    only artists, albums and tracks not yet known are created (with their links).
    """
    tracks = _unique_tracks(catalog.tracks)
    track_ids = [t.spotify_id for t in tracks]
    existing = set(Track.objects.filter(spotify_id__in=track_ids).values_list("spotify_id", flat=True))
    artists, genre_counts = _artists_of(tracks)
    artist_pks = artists_save(artists, overwrite=overwrite, genre_counts=genre_counts)
    album_pks, new_albums = _albums_save(tracks, overwrite=overwrite)
    children_sync(
        Album.artists.through,
        "album_id",
        "artist_id",
        {
            album_pks[t.album.spotify_id]: [artist_pks[a.spotify_id] for a in t.album.artists]
            for t in tracks
            if t.album is not None and (overwrite or t.album.spotify_id in new_albums)
        },
        ordered=False,
    )
    tracks_changed = copy_upsert(
        Track,
        _TRACK_COLUMNS,
        [_track_row(t, album_pks) for t in tracks],
        conflict=["spotify_id"],
        update=_TRACK_OVERWRITTEN if overwrite else (),
    )
    track_pks = pks_by_spotify_id(Track, track_ids)
    children_sync(
        TrackArtist,
        "track_id",
        "artist_id",
        {
            track_pks[t.spotify_id]: [artist_pks[a.spotify_id] for a in t.artists]
            for t in tracks
            if overwrite or t.spotify_id not in existing
        },
        ordered=True,
    )
    playlists_changed = _catalog_playlists_save(catalog.playlists)
    return ImportResult(
        tracks=len(tracks),
        tracks_created=len(set(track_ids) - existing),
        tracks_changed=tracks_changed,
        artists=len(artist_pks),
        albums=len(album_pks),
        playlists=len(catalog.playlists),
        playlists_changed=playlists_changed,
        playlist_items=sum(len(p.track_ids) for p in catalog.playlists),
        track_ids=track_ids,
        track_pks=[track_pks[i] for i in track_ids],
    )


def _unique_tracks(tracks: Sequence[CatalogTrack]) -> list[CatalogTrack]:
    """One record per track id (the first), each artist once: a statement may not write a row twice."""
    by_id: dict[str, CatalogTrack] = {}
    for track in tracks:
        by_id.setdefault(track.spotify_id, track)
    return [replace(t, artists=tuple(dict.fromkeys(t.artists))) for t in by_id.values()]


def _track_row(track: CatalogTrack, album_pks: Mapping[str, int]) -> tuple:
    return (
        track.spotify_id,
        track.name[:500],
        album_pks[track.album.spotify_id] if track.album else None,
        track.duration_ms,
        track.explicit,
        track.isrc[:20],
        track.popularity,
        track.genre,
        track.subgenre,
        *(track.features.get(f) for f in TRACK_FEATURES),
    )


def artists_save(
    artists: Iterable[CatalogArtist],
    *,
    overwrite: bool = False,
    genre_counts: Mapping[str, Counter[str]] | None = None,
) -> dict[str, int]:
    """Spotify artist id → pk. An artist's genres are those of its tracks in this write
    (``genre_counts``), most frequent first, then any it held before."""
    names = {artist.spotify_id: artist.name for artist in artists}
    genre_counts = genre_counts or {}
    held = dict(Artist.objects.filter(spotify_id__in=names).values_list("spotify_id", "genres"))
    rows = []
    for artist_id, name in names.items():
        counts = genre_counts.get(artist_id, Counter())
        genres = sorted(counts, key=lambda g: (-counts[g], g))
        genres += [g for g in held.get(artist_id) or [] if g not in counts]
        rows.append((artist_id, name[:300], as_json(genres)))
    update = ["name", "genres"] if overwrite else ()
    copy_upsert(Artist, ["spotify_id", "name", "genres"], rows, conflict=["spotify_id"], update=update)
    return pks_by_spotify_id(Artist, list(names))


def _artists_of(tracks: Sequence[CatalogTrack]) -> tuple[list[CatalogArtist], dict[str, Counter[str]]]:
    """Every artist the tracks name (album artists too), and the genres each one's tracks carry."""
    artists: dict[str, CatalogArtist] = {}
    genre_counts: dict[str, Counter[str]] = defaultdict(Counter)
    for track in tracks:
        for artist in (*track.artists, *(track.album.artists if track.album else ())):
            artists.setdefault(artist.spotify_id, artist)
        for artist in track.artists:
            if track.genre:
                genre_counts[artist.spotify_id][track.genre] += 1
    return list(artists.values()), genre_counts


def _albums_save(tracks: Sequence[CatalogTrack], *, overwrite: bool) -> tuple[dict[str, int], set[str]]:
    """Spotify album id → pk, and the ids of the albums this call created."""
    albums = {t.album.spotify_id: t.album for t in tracks if t.album is not None}
    known = set(Album.objects.filter(spotify_id__in=albums).values_list("spotify_id", flat=True))
    rows = [(a.spotify_id, a.name[:500], a.release_date[:10]) for a in albums.values()]
    update = ["name", "release_date"] if overwrite else ()
    copy_upsert(Album, ["spotify_id", "name", "release_date"], rows, conflict=["spotify_id"], update=update)
    return pks_by_spotify_id(Album, list(albums)), set(albums) - known


def _catalog_playlists_save(playlists: Sequence[CatalogPlaylist]) -> int:
    rows = [(p.spotify_id, p.name, p.description, p.genre) for p in playlists]
    columns = ["spotify_id", "name", "description", "genre"]
    changed_rows = copy_upsert(
        Playlist, columns, rows, conflict=["spotify_id"], update=columns[1:], returning=True
    )
    playlist_pks = pks_by_spotify_id(Playlist, [p.spotify_id for p in playlists])
    track_pks = pks_by_spotify_id(Track, list({i for p in playlists for i in p.track_ids}))
    rewritten = playlist_items_sync(
        {playlist_pks[p.spotify_id]: [track_pks[i] for i in p.track_ids if i in track_pks] for p in playlists}
    )
    return len(set(changed_rows) | rewritten)


def playlist_items_sync(desired: Mapping[int, Sequence[int]]) -> set[int]:
    """Make each playlist's ordered track pks equal ``desired``; returns the playlists rewritten."""
    return children_sync(PlaylistItem, "playlist_id", "track_id", desired, ordered=True)


# --- a listener's own playlists --------------------------------------------------------------------


@transaction.atomic
def owned_playlist_save(
    *,
    owner: User,
    spotify_id: str,
    name: str,
    description: str = "",
    snapshot_id: str | None = None,
    track_pks: Sequence[int],
) -> tuple[Playlist, bool]:
    """Mirror one of ``owner``'s playlists: its row and its ordered items; (playlist, changed).

    ``snapshot_id`` None leaves the stored one as it is. A playlist held by someone else is
    taken over: callers that must not (Spotify sync) check first.
    """
    wanted: dict[str, object] = {"name": name[:300], "description": description, "genre": ""}
    if snapshot_id is not None:
        wanted["snapshot_id"] = snapshot_id[:120]
    playlist = Playlist.objects.filter(spotify_id=spotify_id).first()
    changed = playlist is None
    if playlist is None:
        playlist = Playlist.objects.create(spotify_id=spotify_id, owner=owner, **wanted)
    elif playlist.owner_id != owner.pk or any(getattr(playlist, f) != v for f, v in wanted.items()):
        for field, value in wanted.items():
            setattr(playlist, field, value)
        playlist.owner = owner
        playlist.save(update_fields=["owner", *wanted])
        changed = True
    changed = bool(playlist_items_sync({playlist.pk: list(track_pks)})) or changed
    return playlist, changed


def owned_playlists_forget(*, owner: User, keep: Iterable[str]) -> int:
    """Forget ``owner``'s mirrored playlists except those with these Spotify ids (gone on Spotify)."""
    deleted, _ = Playlist.objects.filter(owner=owner).exclude(spotify_id__in=list(keep)).delete()
    return deleted


@transaction.atomic
def playlist_items_append(
    *, playlist: Playlist, track_spotify_ids: Sequence[str], snapshot_id: str | None
) -> None:
    """Append the tracks we know of these ids after the playlist's last item (Spotify appends too)."""
    by_id = pks_by_spotify_id(Track, list(track_spotify_ids))
    start = (playlist.items.aggregate(last=Max("position"))["last"] or -1) + 1
    PlaylistItem.objects.bulk_create(
        [
            PlaylistItem(playlist=playlist, track_id=by_id[track_id], position=start + offset)
            for offset, track_id in enumerate(i for i in track_spotify_ids if i in by_id)
        ]
    )
    _snapshot_set(playlist, snapshot_id)


@transaction.atomic
def playlist_items_remove(
    *, playlist: Playlist, track_spotify_ids: Sequence[str], snapshot_id: str | None
) -> None:
    """Drop every occurrence of these tracks from the playlist, as Spotify's DELETE does."""
    PlaylistItem.objects.filter(playlist=playlist, track__spotify_id__in=list(track_spotify_ids)).delete()
    _snapshot_set(playlist, snapshot_id)


def _snapshot_set(playlist: Playlist, snapshot_id: str | None) -> None:
    if snapshot_id:
        Playlist.objects.filter(pk=playlist.pk).update(snapshot_id=snapshot_id[:120])
        playlist.snapshot_id = snapshot_id[:120]
