"""The one write path for the catalog: the CSV import, the demo loader and Spotify sync all come here.

Two ways to write, chosen by ``overwrite``:

- a catalog file (CSV import, the demo) is the truth about what it lists: rows become what it
  says, in a handful of set-based statements (``catalog.bulk``), and writing the same data
  again changes nothing;
- what Spotify's Web API tells (sync, search, recall) only adds what we do not know yet: a
  known track keeps the genre, popularity and audio features an import gave it, which the
  2026 API no longer serves.

Every write then settles what is derived from the catalog as a whole, whatever its source:
genres by artist consensus (``catalog.genre_consensus``: an import recomputes every artist,
a Spotify write gives its new tracks their artists' genres) and explicit estimates
(``catalog.explicit``). What a source says about explicitness is kept by rank: Spotify's
own flag over a file's, a file's over our estimate.

A listener's own playlists are mirrored here too (``owned_playlist_save`` and the item edits),
so every write to these tables goes through this module.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import replace

from django.db import connection, transaction
from django.db.models import Max
from django.utils import timezone

from accounts.models import User
from catalog.bulk import as_json, children_sync, copy_update, copy_upsert, pks_by_spotify_id
from catalog.csv_rows import catalog_from_rows
from catalog.explicit import ESTIMATE, IMPORT, SOURCE_RANK, SPOTIFY, UNKNOWN, explicit_estimates
from catalog.genre_consensus import GenreVerdict, Pair, artist_genres, co_credited_genres, track_genre
from catalog.models import Album, Artist, Playlist, PlaylistItem, Track, TrackArtist
from catalog.selectors import explicit_evidence, genre_evidence
from catalog.types import (
    TRACK_FEATURES,
    Catalog,
    CatalogArtist,
    CatalogPlaylist,
    CatalogTrack,
    DerivedRefresh,
    ImportResult,
)

_TRACK_COLUMNS = [
    "spotify_id",
    "name",
    "album_id",
    "duration_ms",
    "explicit",
    "explicit_source",
    "isrc",
    "popularity",
    "genre",
    "subgenre",
    "playlist_genre",
    "playlist_subgenre",
    *TRACK_FEATURES,
]
# Explicitness is kept by rank (``track_explicit_said``), ISRCs as Spotify gave them; genre and
# subgenre are derived after the write (a new track starts with its file's label).
_TRACK_OVERWRITTEN = [
    c
    for c in _TRACK_COLUMNS
    if c not in {"spotify_id", "explicit", "explicit_source", "isrc", "genre", "subgenre"}
]


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

    A track's ``explicit`` is what the source says: an imported file with ``overwrite``,
    Spotify's Web API without it. Then the derived fields are settled: with ``overwrite`` every
    artist's genre and every estimate is recomputed; without it the new tracks take their
    artists' genres and the estimates of the artists written are refreshed.
    """
    tracks = _unique_tracks(catalog.tracks)
    track_ids = [t.spotify_id for t in tracks]
    existing = set(Track.objects.filter(spotify_id__in=track_ids).values_list("spotify_id", flat=True))
    source = IMPORT if overwrite else SPOTIFY
    artists = _artists_of(tracks)
    artist_pks = artists_save(artists, overwrite=overwrite)
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
        [_track_row(t, album_pks, source) for t in tracks],
        conflict=["spotify_id"],
        update=_TRACK_OVERWRITTEN if overwrite else (),
    )
    said_pks = track_explicit_said(
        {t.spotify_id: t.explicit for t in tracks if t.spotify_id in existing and t.explicit is not None},
        source=source,
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
    if overwrite:
        derived = catalog_derived_refresh()
    else:
        new_pks = [track_pks[i] for i in track_ids if i not in existing]
        derived = _derived_refresh_for(track_pks=new_pks, artist_pks=list(artist_pks.values()))
    derived.track_pks = list(dict.fromkeys([*derived.track_pks, *said_pks]))
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
        derived=derived,
    )


def _unique_tracks(tracks: Sequence[CatalogTrack]) -> list[CatalogTrack]:
    """One record per track id (the first), each artist once: a statement may not write a row twice."""
    by_id: dict[str, CatalogTrack] = {}
    for track in tracks:
        by_id.setdefault(track.spotify_id, track)
    return [replace(t, artists=tuple(dict.fromkeys(t.artists))) for t in by_id.values()]


def _track_row(track: CatalogTrack, album_pks: Mapping[str, int], source: str) -> tuple:
    return (
        track.spotify_id,
        track.name[:500],
        album_pks[track.album.spotify_id] if track.album else None,
        track.duration_ms,
        track.explicit,
        UNKNOWN if track.explicit is None else source,
        track.isrc[:20],
        track.popularity,
        track.genre,
        track.subgenre,
        track.genre,
        track.subgenre,
        *(track.features.get(f) for f in TRACK_FEATURES),
    )


def artists_save(artists: Iterable[CatalogArtist], *, overwrite: bool = False) -> dict[str, int]:
    """Spotify artist id → pk. Names only: an artist's genre is derived (``catalog_derived_refresh``)."""
    names = {artist.spotify_id: artist.name for artist in artists}
    rows = [(artist_id, name[:300], "[]") for artist_id, name in names.items()]
    update = ["name"] if overwrite else ()
    copy_upsert(Artist, ["spotify_id", "name", "genres"], rows, conflict=["spotify_id"], update=update)
    return pks_by_spotify_id(Artist, list(names))


def _artists_of(tracks: Sequence[CatalogTrack]) -> list[CatalogArtist]:
    """Every artist the tracks name, album artists too."""
    artists: dict[str, CatalogArtist] = {}
    for track in tracks:
        for artist in (*track.artists, *(track.album.artists if track.album else ())):
            artists.setdefault(artist.spotify_id, artist)
    return list(artists.values())


def _albums_save(tracks: Sequence[CatalogTrack], *, overwrite: bool) -> tuple[dict[str, int], set[str]]:
    """Spotify album id → pk, and the ids of the albums this call created."""
    albums = {t.album.spotify_id: t.album for t in tracks if t.album is not None}
    known = set(Album.objects.filter(spotify_id__in=albums).values_list("spotify_id", flat=True))
    rows = [(a.spotify_id, a.name[:500], a.release_date[:10]) for a in albums.values()]
    update = ["name", "release_date"] if overwrite else ()
    copy_upsert(Album, ["spotify_id", "name", "release_date"], rows, conflict=["spotify_id"], update=update)
    return pks_by_spotify_id(Album, list(albums)), set(albums) - known


def _catalog_playlists_save(playlists: Sequence[CatalogPlaylist]) -> int:
    rows = [(p.spotify_id, p.name, p.description, p.genre, p.subgenre) for p in playlists]
    columns = ["spotify_id", "name", "description", "genre", "subgenre"]
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


# --- what is derived from the whole catalog -------------------------------------------------------


@transaction.atomic
def track_explicit_said(flags: Mapping[str, bool], *, source: str) -> list[int]:
    """Record what ``source`` says of these tracks' explicitness (Spotify id → flag), over what a
    lower-ranked source said (``catalog.explicit.SOURCE_RANK``); returns the pks rewritten."""
    if not flags:
        return []
    outranked = [name for name, rank in SOURCE_RANK.items() if rank <= SOURCE_RANK[source]]
    table = Track._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            UPDATE {table} AS t SET explicit = v.explicit, explicit_source = %(source)s
              FROM unnest(%(ids)s::text[], %(flags)s::boolean[]) AS v(spotify_id, explicit)
             WHERE t.spotify_id = v.spotify_id AND t.explicit_source = ANY(%(outranked)s)
               AND (t.explicit IS DISTINCT FROM v.explicit OR t.explicit_source <> %(source)s)
            RETURNING t.id
            """,  # the table name from the model, values as parameters
            {"source": source, "ids": list(flags), "flags": list(flags.values()), "outranked": outranked},
        )
        changed = [row[0] for row in cursor.fetchall()]
    if changed:
        artists = TrackArtist.objects.filter(track_id__in=changed).values_list("artist_id", flat=True)
        changed += explicit_estimates_refresh(artist_pks=set(artists))
    return list(dict.fromkeys(changed))


def album_images_said(images: Mapping[str, str]) -> list[int]:
    """Record the covers Spotify gave (album Spotify id → image URL) in one statement, marking
    those albums checked now; returns the pks rewritten. An empty answer is no answer: it never
    blanks a cover we have, and an album whose cover is unchanged is not written."""
    limit = Album._meta.get_field("image_url").max_length or 0
    said = {album_id: url for album_id, url in images.items() if url and len(url) <= limit}
    if not said:
        return []
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            UPDATE {Album._meta.db_table} AS a SET image_url = v.url, image_checked_at = now()
              FROM unnest(%(ids)s::text[], %(urls)s::text[]) AS v(spotify_id, url)
             WHERE a.spotify_id = v.spotify_id AND a.image_url <> v.url
            RETURNING a.id
            """,  # the table name from the model, values as parameters
            {"ids": list(said), "urls": list(said.values())},
        )
        return [row[0] for row in cursor.fetchall()]


def album_images_checked(album_spotify_ids: Collection[str]) -> None:
    """Spotify was asked for these albums' covers and had none (or the track is gone): not again soon."""
    Album.objects.filter(spotify_id__in=list(album_spotify_ids)).update(image_checked_at=timezone.now())


@transaction.atomic
def catalog_derived_refresh() -> DerivedRefresh:
    """Recompute every artist's consensus genre, every track's genre and every explicit
    estimate; writes only what changed, so a second run writes nothing."""
    evidence = genre_evidence()
    verdicts = artist_genres(evidence.listings)
    verdicts |= co_credited_genres(evidence.credits.values(), verdicts)
    artists_changed = _artist_verdicts_write(
        {pk: verdicts.get(pk, GenreVerdict("", "")) for pk in Artist.objects.values_list("pk", flat=True)}
    )
    track_credits = {pk: evidence.credits.get(pk, ()) for pk in Track.objects.values_list("pk", flat=True)}
    tracks_changed = _track_genres_write(track_credits, verdicts, labels=evidence.labels)
    return _settled(artists_changed, tracks_changed, artist_pks=None)


def _derived_refresh_for(*, track_pks: Sequence[int], artist_pks: Collection[int]) -> DerivedRefresh:
    """After a Spotify write: new tracks take their artists' stored genres (an artist with none
    takes its co-credited artists'), and the written artists' tracks get fresh estimates."""
    credits: dict[int, list[int]] = {pk: [] for pk in track_pks}
    for track_id, artist_id in (
        TrackArtist.objects.filter(track_id__in=list(track_pks))
        .order_by("track_id", "position", "id")
        .values_list("track_id", "artist_id")
    ):
        credits[track_id].append(artist_id)
    credited = {a for artists in credits.values() for a in artists}
    verdicts = {
        pk: GenreVerdict(genre, subgenre, tuple(genres))
        for pk, genre, subgenre, genres in Artist.objects.filter(pk__in=credited)
        .exclude(genre="")
        .values_list("pk", "genre", "subgenre", "genres")
    }
    learned = co_credited_genres(credits.values(), verdicts)
    artists_changed = _artist_verdicts_write(learned)
    verdicts |= learned
    tracks_changed = _track_genres_write(credits, verdicts, labels=None)
    return _settled(artists_changed, tracks_changed, artist_pks=artist_pks)


def _track_genres_write(
    credits: Mapping[int, Sequence[int]],
    verdicts: Mapping[int, GenreVerdict],
    *,
    labels: Mapping[int, Pair] | None,
) -> list[int]:
    """Each track's genre from its credited artists'; with ``labels`` (every track given), a track
    none of whose artists has one keeps its file's label, else none. Returns the pks rewritten."""
    rows = []
    for pk, artists in sorted(credits.items()):
        genre = track_genre([verdicts.get(a) for a in artists])
        if genre is None and labels is not None:
            genre = labels.get(pk, ("", ""))
        if genre is not None:
            rows.append((pk, genre[0][:60], genre[1][:60]))
    return copy_update(Track, "id", ["genre", "subgenre"], rows)


def _settled(
    artists_changed: list[int], tracks_changed: list[int], *, artist_pks: Collection[int] | None
) -> DerivedRefresh:
    """The estimates refreshed (all, or for these artists' tracks), and what the refresh changed."""
    estimated, explicit_changed = _explicit_estimates_write(artist_pks=artist_pks)
    return DerivedRefresh(
        artists=len(artists_changed),
        track_pks=list(dict.fromkeys([*tracks_changed, *explicit_changed])),
        estimated_explicit=estimated,
    )


def _artist_verdicts_write(verdicts: Mapping[int, GenreVerdict]) -> list[int]:
    rows = [
        (pk, v.genre[:60], v.subgenre[:60], as_json(list(v.ranked))) for pk, v in sorted(verdicts.items())
    ]
    return copy_update(Artist, "id", ["genre", "subgenre", "genres"], rows)


def explicit_estimates_refresh(*, artist_pks: Collection[int] | None = None) -> list[int]:
    """Re-estimate the tracks nobody has said anything about (all, or those crediting these
    artists); returns the pks rewritten."""
    return _explicit_estimates_write(artist_pks=artist_pks)[1]


def _explicit_estimates_write(*, artist_pks: Collection[int] | None) -> tuple[int, list[int]]:
    if artist_pks is not None and not artist_pks:
        return 0, []
    evidence, in_scope = explicit_evidence(artist_pks=artist_pks)
    estimated = explicit_estimates(evidence, only=in_scope)
    unsaid = {item.track for item in evidence if item.said is None and item.track in in_scope}
    rows = [(pk, True, ESTIMATE) if pk in estimated else (pk, None, UNKNOWN) for pk in sorted(unsaid)]
    return len(estimated), copy_update(Track, "id", ["explicit", "explicit_source"], rows)


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
    last = playlist.items.aggregate(last=Max("position"))["last"]
    start = 0 if last is None else last + 1  # not `or -1`: a playlist of one item has last == 0
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
