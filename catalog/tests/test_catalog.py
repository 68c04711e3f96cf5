from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from catalog.csv_rows import artist_id_for_name, catalog_from_rows
from catalog.models import Album, Artist, Playlist, PlaylistItem, Track, TrackArtist
from catalog.selectors import catalog_matches_database
from catalog.services import catalog_import_rows, catalog_save

COLUMNS = [
    "energy",
    "tempo",
    "danceability",
    "playlist_genre",
    "loudness",
    "liveness",
    "valence",
    "track_artist",
    "time_signature",
    "speechiness",
    "track_popularity",
    "track_href",
    "uri",
    "track_album_name",
    "playlist_name",
    "analysis_url",
    "track_id",
    "track_name",
    "track_album_release_date",
    "instrumentalness",
    "track_album_id",
    "mode",
    "key",
    "duration_ms",
    "acousticness",
    "id",
    "playlist_subgenre",
    "type",
    "playlist_id",
]

HITS = "37i9dQZF1DXcBWIGoYBM5M"
RAP = "37i9dQZF1DX0XUsuxWHRQd"
SMILE = "2plbrEY59IikOBgBGLjaoe"
BIRDS = "6dOtVTDdiauQNBQEDOtlAB"
TYLER = "7BMO7O7ImjV8HNTH74Tshv"


def row(track_id: str, name: str, artists: str, playlist: str, genre: str, **extra: str) -> dict[str, str]:
    values = {column: "" for column in COLUMNS}
    values.update(
        track_id=track_id,
        id=track_id,
        track_name=name,
        track_artist=artists,
        track_album_id=f"{track_id[:-4]}ALBM",
        track_album_name=f"{name} (album)",
        track_album_release_date="2024-08-16",
        track_popularity="80",
        duration_ms="200000",
        energy="0.5",
        valence="0.4",
        danceability="0.6",
        tempo="120.5",
        loudness="-6.1",
        mode="1",
        key="5",
        playlist_id=playlist,
        playlist_name={HITS: "Today's Top Hits", RAP: "RapCaviar"}[playlist],
        playlist_genre=genre,
        playlist_subgenre="mainstream",
    )
    values.update(extra)
    return values


@pytest.fixture
def rows() -> list[dict[str, str]]:
    return [
        row(SMILE, "Die With A Smile", "Lady Gaga, Bruno Mars", HITS, "pop"),
        row(BIRDS, "BIRDS OF A FEATHER", "Billie Eilish", HITS, "pop"),
        row(TYLER, "Sticky", "Tyler, The Creator, GloRilla, Sexyy Red", RAP, "hip-hop"),
        row(SMILE, "Die With A Smile", "Lady Gaga, Bruno Mars", RAP, "hip-hop"),
        row(SMILE, "Die With A Smile", "Lady Gaga, Bruno Mars", HITS, "pop"),  # listed twice
        row("", "No Id", "Nobody", HITS, "pop"),
        row("0000000000000000000bad", "Loud", "Somebody", HITS, "pop", energy="very"),
    ]


def write_csv(path: Path, rows: list[dict[str, str]], columns: list[str] = COLUMNS) -> Path:
    with path.open("w", encoding="utf-8-sig", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=columns, extrasaction="ignore")
        writer.writeheader()
        writer.writerows(rows)
    return path


def test_it_derives_one_spotify_like_id_per_artist_name() -> None:
    artist_id = artist_id_for_name("Bruno Mars")
    assert len(artist_id) == 22 and artist_id.isalnum()
    assert artist_id_for_name("  bruno   MARS ") == artist_id
    assert artist_id_for_name("Bruno Mars Jr") != artist_id


def test_it_merges_rows_into_unique_tracks_with_their_most_frequent_genre(rows) -> None:
    catalog, skipped = catalog_from_rows(rows)
    assert [t.spotify_id for t in catalog.tracks] == [SMILE, BIRDS, TYLER]
    assert catalog.tracks[0].genre == "pop"  # two pop rows against one hip-hop
    assert [(s.row_number, s.reason) for s in skipped] == [(6, "missing track id"), (7, "non-numeric energy")]


@pytest.mark.django_db
def test_it_imports_tracks_albums_artists_and_playlists_in_order(rows) -> None:
    result = catalog_import_rows(rows)

    assert (result.tracks, result.tracks_created, result.playlists) == (3, 3, 2)
    assert result.track_ids == [SMILE, BIRDS, TYLER]
    assert len(result.skipped) == 2
    smile = Track.objects.get(spotify_id=SMILE)
    assert (smile.popularity, smile.genre, smile.tempo, smile.mode) == (80, "pop", 120.5, 1)
    assert smile.album.name == "Die With A Smile (album)"
    assert list(Playlist.objects.get(spotify_id=HITS).items.values_list("track__spotify_id", flat=True)) == [
        SMILE,
        BIRDS,
    ]
    assert list(Playlist.objects.get(spotify_id=RAP).items.values_list("track__spotify_id", flat=True)) == [
        TYLER,
        SMILE,
    ]
    assert Playlist.objects.get(spotify_id=RAP).owner is None


@pytest.mark.django_db
def test_it_links_every_artist_of_a_track_in_order_keeping_names_with_commas(rows) -> None:
    catalog_import_rows(rows)

    assert Track.objects.get(spotify_id=SMILE).artist_names == "Lady Gaga, Bruno Mars"
    assert Track.objects.get(spotify_id=TYLER).artist_names == "Tyler, The Creator, GloRilla, Sexyy Red"
    gaga = Artist.objects.get(name="Lady Gaga")
    assert gaga.spotify_id == artist_id_for_name("Lady Gaga")
    assert gaga.genres == ["pop"]
    assert not Artist.objects.filter(name="The Creator").exists()


@pytest.mark.django_db
def test_it_changes_nothing_when_the_same_rows_are_imported_again(rows) -> None:
    first = catalog_import_rows(rows)
    before = _row_versions()

    second = catalog_import_rows(rows)

    assert (second.tracks_created, second.tracks_changed, second.playlists_changed) == (0, 0, 0)
    assert second.track_pks == first.track_pks
    assert _row_versions() == before


def _row_versions() -> dict[str, list[tuple[int, str]]]:
    """Primary keys with PostgreSQL's xmin: any rewrite of a row changes its xmin."""
    from django.db.models.expressions import RawSQL

    return {
        model.__name__: sorted(model.objects.annotate(v=RawSQL("xmin::text", ())).values_list("pk", "v"))
        for model in (Track, Artist, Album, Playlist, PlaylistItem, TrackArtist)
    }


@pytest.mark.django_db
def test_it_updates_changed_values_artists_and_playlist_order(rows) -> None:
    catalog_import_rows(rows)
    rows[0]["track_popularity"] = "99"
    rows[0]["track_artist"] = rows[3]["track_artist"] = "Lady Gaga"
    rows[0], rows[1] = rows[1], rows[0]

    result = catalog_import_rows(rows)

    assert result.tracks_changed == 1
    assert result.playlists_changed == 1
    smile = Track.objects.get(spotify_id=SMILE)
    assert (smile.popularity, smile.artist_names) == (99, "Lady Gaga")
    hits = Playlist.objects.get(spotify_id=HITS)
    assert list(hits.items.values_list("track__spotify_id", flat=True)) == [BIRDS, SMILE]


@pytest.mark.django_db
def test_it_tells_whether_the_database_already_holds_a_catalog(rows) -> None:
    catalog, _ = catalog_from_rows(rows)
    assert not catalog_matches_database(catalog)
    catalog_save(catalog)
    assert catalog_matches_database(catalog)
    Track.objects.filter(spotify_id=BIRDS).update(valence=0.9)
    assert not catalog_matches_database(catalog)


@pytest.mark.django_db
def test_the_command_imports_files_and_embeds_now_when_asked(rows, tmp_path) -> None:
    """The default path (enqueue for the worker) runs through a real worker in tests/."""
    from recommender.models import TrackProfile

    first = write_csv(tmp_path / "a.csv", rows[:2])
    second = write_csv(tmp_path / "b.csv", rows[2:])

    call_command("import_catalog", str(first), str(second), "--embed-now", stdout=(out := io.StringIO()))

    assert "3 tracks (3 new" in out.getvalue() and "skipped 2 rows" in out.getvalue()
    assert TrackProfile.objects.filter(embedding__isnull=False).count() == 3


@pytest.mark.django_db
def test_the_command_explains_a_missing_file_or_wrong_columns(rows, tmp_path) -> None:
    with pytest.raises(CommandError, match="no such file"):
        call_command("import_catalog", str(tmp_path / "missing.csv"))
    wrong = write_csv(tmp_path / "wrong.csv", rows, columns=["track_id", "track_name"])
    with pytest.raises(CommandError, match="track_artist"):
        call_command("import_catalog", str(wrong))
