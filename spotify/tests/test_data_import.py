"""Importing a Spotify data download: formats, the safety of the ZIP, what is written, re-imports.

The files are synthetic (``spotify.data_import.samples``) over a small factory catalog; the
worker's part runs in this process here (``data_import_run``), and over a real Celery worker
in ``test_data_import_worker.py``.
"""

from __future__ import annotations

import io
import json
import zipfile
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client
from django.urls import reverse

from catalog.models import Artist, Track
from spotify.data_import import formats
from spotify.data_import.archive import documents_in
from spotify.data_import.errors import DownloadError
from spotify.data_import.matching import CatalogMatcher
from spotify.data_import.samples import (
    PERSONAL_VALUES,
    SampleTrack,
    account_history,
    extended_history,
    playlists,
    your_library,
    zip_write,
)
from spotify.data_import.selectors import data_import_status, imported_skipped_track_ids, imported_taste
from spotify.data_import.services import data_import_run, data_import_start
from spotify.models import DataImport, ImportedArtist, ImportedFile, ImportedTrack, Play, PlaySource
from tests.factories import PlayFactory, make_small_catalog

pytestmark = pytest.mark.django_db

START = datetime(2025, 3, 1, 9, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def uploads_dir(settings, tmp_path):
    settings.SPOTIFY_IMPORT_DIR = str(tmp_path / "uploads")
    return tmp_path / "uploads"


@pytest.fixture
def catalog() -> list[SampleTrack]:
    """The small catalog as a download names its tracks, plus one track the catalog lacks."""
    tracks = [
        SampleTrack(t.spotify_id, t.name, t.artist_names, t.album.name if t.album else "", t.duration_ms)
        for t in make_small_catalog()
    ]
    return [*tracks, SampleTrack("0sampleTrackNotInCatalg", "Lost Song", "Nora Vale", "Nowhere", 200_000)]


def zip_bytes(tmp_path: Path, members: dict) -> bytes:
    return zip_write(tmp_path / "download.zip", members).read_bytes()


def imported(user, *files: tuple[str, bytes]) -> DataImport:
    uploads = [SimpleUploadedFile(name, content) for name, content in files]
    data_import = data_import_start(user=user, files=uploads)
    done = data_import_run(import_id=data_import.pk)
    assert done is not None
    done.refresh_from_db()
    return done


def account_download(tmp_path: Path, tracks: list[SampleTrack], plays: int = 300) -> bytes:
    extended = list(extended_history(tracks[:12] + tracks[-1:], plays=plays, start=START))
    return zip_bytes(
        tmp_path,
        {
            "Spotify Account Data/StreamingHistory_music_0.json": list(account_history(extended)),
            "Spotify Account Data/YourLibrary.json": your_library(
                tracks[12:16],
                followed=[(Artist.objects.get(name="Luma").spotify_id, "Luma")],
                banned=tracks[22:23],
            ),
            "Spotify Account Data/Playlist1.json": playlists([("calm", tracks[4:8]), ("more", tracks[6:9])]),
            "Spotify Account Data/Userdata.json": {"username": PERSONAL_VALUES[2], "country": "ZZ"},
        },
    )


def extended_download(tmp_path: Path, tracks: list[SampleTrack], plays: int = 300) -> bytes:
    records = extended_history(tracks[:12] + tracks[-1:], plays=plays, start=START)
    return zip_bytes(
        tmp_path, {"Spotify Extended Streaming History/Streaming_History_Audio_2025_0.json": records}
    )


def table_rows(user) -> dict[str, list]:
    return {
        "plays": sorted(
            Play.objects.filter(user=user).values_list("played_at", "track_id", "ms_played", "skipped")
        ),
        "tracks": sorted(ImportedTrack.objects.filter(user=user).values_list()),
        "artists": sorted(ImportedArtist.objects.filter(user=user).values_list()),
    }


# --- reading the formats -------------------------------------------------------------------------


def test_it_knows_every_file_spotify_names_and_ignores_the_rest():
    names = {
        "Spotify Account Data/StreamingHistory_music_0.json": formats.Kind.ACCOUNT,
        "MyData/StreamingHistory0.json": formats.Kind.ACCOUNT,
        "StreamingHistory_podcast_0.json": formats.Kind.PODCASTS,
        "YourLibrary.json": formats.Kind.LIBRARY,
        "Playlist1.json": formats.Kind.PLAYLISTS,
        "Streaming_History_Audio_2019-2021_3.json": formats.Kind.EXTENDED,
        "endsong_12.json": formats.Kind.EXTENDED,
        "Streaming_History_Video_2020-2024.json": formats.Kind.VIDEO,
        "Userdata.json": None,
        "Identity.json": None,
        "Inferences.json": None,
    }
    assert {name: formats.kind_from_name(name) for name in names} == names


def test_it_recognises_a_renamed_file_by_its_first_record():
    extended = json.dumps(list(extended_history([SampleTrack("a" * 22, "T", "A")], plays=2, start=START)))
    account = json.dumps(
        [{"endTime": "2025-01-01 10:00", "artistName": "A", "trackName": "T", "msPlayed": 1}]
    )
    assert formats.kind_from_content(extended.encode()) == formats.Kind.EXTENDED
    assert formats.kind_from_content(account.encode()) == formats.Kind.ACCOUNT
    assert formats.kind_from_content(b'{"playlists": []}') == formats.Kind.PLAYLISTS
    assert formats.kind_from_content(b'{"tracks": [], "artists": []}') == formats.Kind.LIBRARY
    assert formats.kind_from_content(b'{"name": "something else"}') is None


def test_account_plays_in_the_same_minute_get_distinct_stable_times():
    rows = [
        {"endTime": "2025-01-01 10:00", "artistName": "A", "trackName": "One", "msPlayed": 5_000},
        {"endTime": "2025-01-01 10:00", "artistName": "A", "trackName": "Two", "msPlayed": 200_000},
        {"endTime": "2025-01-01 10:01", "artistName": "A", "trackName": "One", "msPlayed": 40_000},
    ]
    streams = list(formats.account_streams(io.BytesIO(json.dumps(rows).encode()), "x.json"))
    minute = datetime(2025, 1, 1, 10, 0, tzinfo=UTC)
    assert [s.ended_at for s in streams] == [
        minute + timedelta(milliseconds=1),
        minute + timedelta(milliseconds=2),
        minute + timedelta(minutes=1, milliseconds=1),
    ]
    assert [s.skipped for s in streams] == [True, False, False]  # under 30 s counts as a skip
    assert not any(s.exact for s in streams)


def test_extended_records_keep_only_what_we_use_and_count_episodes_as_not_music():
    track = SampleTrack("4uLU6hMCjMI75M1A2tKUQC", "Song", "Band", "LP")
    records = list(extended_history([track], plays=50, start=START, episode_every=10))
    streams = list(formats.streams(io.BytesIO(json.dumps(records).encode()), formats.Kind.EXTENDED, "x.json"))
    assert sum(not s.music for s in streams) == 5
    music = [s for s in streams if s.music]
    assert {s.track_id for s in music} == {track.spotify_id} and all(s.exact for s in music)
    kept = json.dumps([vars(s) if hasattr(s, "__dict__") else repr(s) for s in streams], default=str)
    assert not any(value in kept for value in PERSONAL_VALUES)


def test_a_truncated_file_is_reported_by_name():
    broken = json.dumps([{"ts": "2025-01-01T10:00:00Z", "ms_played": 1}] * 3)[:-20].encode()
    with pytest.raises(
        DownloadError, match=r"isn't a Spotify data download: endsong_0.json is not valid JSON"
    ):
        list(formats.streams(io.BytesIO(broken), formats.Kind.EXTENDED, "endsong_0.json"))


# --- the upload and the ZIP ---------------------------------------------------------------------


def test_a_zip_naming_a_file_outside_its_folder_is_refused(tmp_path):
    path = tmp_path / "evil.zip"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("../../etc/StreamingHistory_music_0.json", "[]")
    with pytest.raises(DownloadError, match="outside its folder"), documents_in(path, "evil.zip"):
        pass


def test_a_zip_bomb_is_refused_before_anything_is_read(tmp_path):
    path = tmp_path / "bomb.zip"
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("Streaming_History_Audio_2020_0.json", b"[" + b" " * (40 * 1024 * 1024) + b"]")
    with pytest.raises(DownloadError, match="would unpack to"), documents_in(path, "bomb.zip"):
        pass


def test_a_zip_without_spotify_files_says_so(alice, tmp_path):
    content = zip_bytes(tmp_path, {"holiday/notes.json": {"hello": 1}})
    done = imported(alice, ("photos.zip", content))
    assert done.state == DataImport.State.FAILED
    assert "isn't a Spotify data download: photos.zip holds none" in done.error


def test_a_file_that_is_neither_zip_nor_json_is_refused_at_upload(alice):
    with pytest.raises(DownloadError, match=r"isn't a Spotify data download \(cat.png\): it is neither"):
        data_import_start(user=alice, files=[SimpleUploadedFile("cat.png", b"\x89PNG\r\n\x1a\n....")])
    with pytest.raises(DownloadError, match="Choose the ZIP"):
        data_import_start(user=alice, files=[])
    assert not DataImport.objects.exists()


# --- what an import writes --------------------------------------------------------------------


def test_account_data_becomes_imported_plays_library_and_playlists(alice, catalog, tmp_path, uploads_dir):
    done = imported(alice, ("my_spotify_data.zip", account_download(tmp_path, catalog)))

    assert done.state == DataImport.State.DONE, done.error
    plays = Play.objects.filter(user=alice)
    assert plays.count() > 250 and set(plays.values_list("source", flat=True)) == {PlaySource.IMPORT}
    assert plays.filter(skipped=True).exists() and not plays.filter(ms_played__isnull=True).exists()
    summary = done.summary
    assert summary["unmatched"] > 0 and "Nora Vale – Lost Song" in summary["unmatched_examples"]
    assert summary["saved_tracks"] == 4 and summary["followed_artists"] == 1 and summary["playlists"] == 2
    assert done.files_total == done.files_done == 3  # Userdata.json is never even opened
    assert done.matched / done.track_rows > 0.85
    by_name = dict(ImportedTrack.objects.filter(user=alice).values_list("track__name", "playlists"))
    assert by_name["Winter Letters"] == 2 and by_name["Slow Tide"] == 1
    taste = imported_taste(user=alice)
    assert taste.top_artist_ids and taste.banned_track_ids == {Track.objects.get(name="Road Trip").pk}
    # Streams of a track we lack still count for its artist.
    assert ImportedArtist.objects.get(user=alice, artist__name="Nora Vale").other_plays > 0
    assert not list(uploads_dir.iterdir()), "the upload is deleted once read"


def test_nothing_personal_from_the_files_is_stored(alice, catalog, tmp_path):
    imported(alice, ("my_spotify_data.zip", account_download(tmp_path, catalog)))
    imported(alice, ("extended.zip", extended_download(tmp_path, catalog)))
    tables = [m._meta.db_table for m in (DataImport, ImportedFile, ImportedTrack, ImportedArtist, Play)]
    with connection.cursor() as cursor:
        for table in tables:
            cursor.execute(f"SELECT row_to_json(t)::text FROM {table} t")  # our own table names
            stored = " ".join(row[0] for row in cursor.fetchall())
            assert not any(value in stored for value in PERSONAL_VALUES), table


def test_importing_the_same_download_again_changes_nothing(alice, catalog, tmp_path):
    download = account_download(tmp_path, catalog)
    imported(alice, ("my_spotify_data.zip", download))
    before = table_rows(alice)

    again = imported(alice, ("my_spotify_data (1).zip", download))

    assert again.state == DataImport.State.DONE
    assert table_rows(alice) == before
    assert {doc["state"] for doc in again.summary["documents"]} == {"already imported"}


def test_an_overlapping_extended_history_replaces_minute_plays_instead_of_doubling_them(
    alice, catalog, tmp_path
):
    imported(alice, ("my_spotify_data.zip", account_download(tmp_path, catalog)))
    minute_plays = Play.objects.filter(user=alice).count()

    done = imported(alice, ("extended.zip", extended_download(tmp_path, catalog)))

    plays = list(Play.objects.filter(user=alice).values_list("played_at", flat=True))
    assert done.summary["plays_replaced"] == minute_plays  # the same plays, now to the second
    assert len(plays) == minute_plays and all(at.microsecond == 0 for at in plays)
    # …and account data sent afterwards adds nothing either.
    later = imported(alice, ("Streaming.json", _account_json(catalog)))
    assert later.summary["plays_added"] == 0 and Play.objects.filter(user=alice).count() == minute_plays


def _account_json(tracks: list[SampleTrack]) -> bytes:
    records = extended_history(tracks[:12] + tracks[-1:], plays=300, start=START)
    return json.dumps(list(account_history(records))).encode()


def test_skips_are_kept_and_a_mostly_skipped_track_reads_as_skipped(alice, catalog, tmp_path):
    records = list(extended_history(catalog[:1], plays=3, start=START, skip_share=0.0, episode_every=0))
    for record in records:
        record["skipped"], record["ms_played"] = True, 4_000
    content = json.dumps(records).encode()
    imported(alice, ("endsong_0.json", content))
    assert Play.objects.filter(user=alice, skipped=True).count() == 3
    assert imported_skipped_track_ids(user=alice) == [Track.objects.get(spotify_id=catalog[0].spotify_id).pk]


def test_a_malformed_file_fails_with_its_name_and_is_not_marked_imported(alice):
    done = imported(alice, ("endsong_0.json", b'[{"ts": "2025-01-01T10:00:00Z", "ms_played": 1000, "master'))
    assert done.state == DataImport.State.FAILED
    assert "That file isn't a Spotify data download: endsong_0.json is not valid JSON" in done.error
    assert not ImportedFile.objects.exists()
    status = data_import_status(user=alice)
    assert status["state"] == "failed" and not status["busy"] and status["error"] == done.error


def test_a_broken_file_in_a_download_is_named_while_the_others_are_imported(alice, catalog, tmp_path):
    content = zip_bytes(
        tmp_path,
        {
            "YourLibrary.json": your_library(catalog[:3]),
            "StreamingHistory_music_0.json": [{"endTime": "yesterday", "artistName": "A", "trackName": "T"}],
        },
    )
    done = imported(alice, ("my_spotify_data.zip", content))
    assert done.state == DataImport.State.DONE
    assert "StreamingHistory_music_0.json has no valid “endTime” time at record 1" in done.error
    assert ImportedTrack.objects.filter(user=alice, saved=True).count() == 3


def test_one_import_at_a_time_per_listener(alice, catalog, tmp_path):
    data_import_start(user=alice, files=[SimpleUploadedFile("a.json", _account_json(catalog))])
    with pytest.raises(DownloadError, match="already on its way"):
        data_import_start(user=alice, files=[SimpleUploadedFile("b.json", _account_json(catalog))])


def test_matching_takes_the_uri_then_the_names_once_per_batch(catalog, django_assert_max_num_queries):
    matcher = CatalogMatcher()
    wanted = [(t.spotify_id, t.title, t.artist) for t in catalog[:5]]
    wanted += [("", "Winter Letters - Remastered 2011", "Mara Quinn"), ("", "Slow Tide", "Somebody Else")]
    with django_assert_max_num_queries(3):
        found = matcher.tracks(wanted * 50)
    assert all(found[:6]) and found[6] is None
    assert found[5] == Track.objects.get(name="Winter Letters").pk
    with django_assert_max_num_queries(0):
        assert matcher.tracks(wanted) == found[:7]


# --- the page -------------------------------------------------------------------------------------


def test_the_library_page_has_a_labelled_upload_form(client, alice):
    client.force_login(alice)
    page = client.get(reverse("spotify:library")).content.decode()
    assert 'enctype="multipart/form-data"' in page and '<label for="import-files">' in page
    assert "css/import.css" in page


def test_an_upload_without_the_csrf_token_is_refused(alice, catalog):
    strict = Client(enforce_csrf_checks=True)
    strict.force_login(alice)
    response = strict.post(reverse("spotify:import"), {"files": SimpleUploadedFile("a.json", b"[]")})
    assert response.status_code == 403 and not DataImport.objects.exists()


def test_an_upload_queues_the_import_and_the_status_shows_it(
    client, alice, charlie, catalog, django_capture_on_commit_callbacks, monkeypatch
):
    queued: list[int] = []
    monkeypatch.setattr("spotify.views.import_spotify_data.delay", queued.append)
    client.force_login(alice)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("spotify:import"), {"files": SimpleUploadedFile("x.json", _account_json(catalog))}
        )
    assert response.status_code == 302 and queued == [DataImport.objects.get(user=alice).pk]
    status = client.get(reverse("spotify:import_status")).json()
    assert status["state"] == "queued" and status["busy"]
    client.force_login(charlie)
    assert client.get(reverse("spotify:import_status")).json() == {"state": "none", "busy": False}


def test_a_too_big_upload_is_refused_in_words(client, alice, settings):
    settings.SPOTIFY_IMPORT_MAX_BYTES = 10
    client.force_login(alice)
    response = client.post(
        reverse("spotify:import"), {"files": SimpleUploadedFile("x.json", b"[" + b" " * 50 + b"]")}
    )
    page = client.get(response.url).content.decode()
    assert "the most we take is" in page and not DataImport.objects.exists()


def test_a_synced_play_at_the_same_moment_is_kept_as_synced(alice, catalog):
    track = Track.objects.get(spotify_id=catalog[0].spotify_id)
    moment = datetime(2025, 3, 1, 9, 0, 5, tzinfo=UTC)
    PlayFactory(user=alice, track=track, played_at=moment)
    record = {"ts": "2025-03-01T09:00:05Z", "ms_played": 200_000, "master_metadata_track_name": track.name}
    record["spotify_track_uri"] = f"spotify:track:{track.spotify_id}"
    records = [record]
    imported(alice, ("endsong_0.json", json.dumps(records).encode()))
    assert list(Play.objects.filter(user=alice).values_list("source", flat=True)) == [PlaySource.SPOTIFY]
