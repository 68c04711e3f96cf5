from __future__ import annotations

import pytest
from django.core.management import CommandError, call_command
from django.db.models.expressions import RawSQL

from catalog.csv_rows import artist_id_for_name, catalog_from_rows
from catalog.models import Album, Artist, Playlist, PlaylistItem, Track, TrackArtist
from catalog.selectors import catalog_matches_database
from catalog.services import catalog_import_rows, catalog_save
from tests.catalog_csv import BIRDS, HITS, RAP, SMILE, TYLER, sample_rows, write_csv


@pytest.fixture
def rows() -> list[dict[str, str]]:
    return sample_rows()


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
    assert (smile.popularity, smile.playlist_genre, smile.tempo, smile.mode) == (80, "pop", 120.5, 1)
    assert smile.album is not None and smile.album.name == "Die With A Smile (album)"
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
    assert gaga.genre in gaga.genres
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
def test_the_command_explains_a_missing_file_or_wrong_columns(rows, tmp_path) -> None:
    with pytest.raises(CommandError, match="no such file"):
        call_command("import_catalog", str(tmp_path / "missing.csv"))
    wrong = write_csv(tmp_path / "wrong.csv", rows, columns=["track_id", "track_name"])
    with pytest.raises(CommandError, match="track_artist"):
        call_command("import_catalog", str(wrong))
