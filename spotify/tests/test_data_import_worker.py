"""A Spotify data download imported end to end: uploaded through the Library page's form, read by
a real Celery worker process, its progress and summary read back from the status endpoint."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from spotify.data_import.samples import (
    SampleTrack,
    account_history,
    extended_history,
    playlists,
    your_library,
    zip_write,
)
from spotify.models import DataImport, ImportedTrack, Play, PlaySource
from spotify.tasks import import_spotify_data
from tests.conftest import celery_worker
from tests.factories import make_small_catalog

pytestmark = pytest.mark.django_db(transaction=True)

START = datetime(2025, 3, 1, 9, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def worker(django_db_setup, django_db_blocker) -> Iterator[object]:
    with celery_worker() as process:
        yield process


@pytest.fixture
def tracks() -> list[SampleTrack]:
    return [
        SampleTrack(t.spotify_id, t.name, t.artist_names, t.album.name if t.album else "", t.duration_ms)
        for t in make_small_catalog()
    ]


def upload(client: Client, name: str, content: bytes) -> dict:
    """Post the file as the page's form does, then follow the status endpoint until the import ends."""
    response = client.post(reverse("spotify:import"), {"files": SimpleUploadedFile(name, content)})
    assert response.status_code == 302
    seen: list[dict] = []
    deadline = time.monotonic() + 120
    while True:
        status = client.get(reverse("spotify:import_status")).json()
        seen.append(status)
        if not status["busy"]:
            break
        assert time.monotonic() < deadline, f"the worker did not finish the import: {status}"
        time.sleep(0.2)
    _worker_idle()  # the recall the import asked for runs before the test's tables are emptied
    return status


def _worker_idle(timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    time.sleep(0.5)
    while time.monotonic() < deadline:
        inspector = import_spotify_data.app.control.inspect(timeout=1)
        busy = [task for tasks in (inspector.active() or {}).values() for task in tasks]
        busy += [task for tasks in (inspector.reserved() or {}).values() for task in tasks]
        if not busy:
            return
        time.sleep(0.3)


def test_an_account_data_download_is_imported_by_the_worker(worker, client, alice, tracks, tmp_path: Path):
    history = list(extended_history(tracks[:10], plays=400, start=START))
    download = zip_write(
        tmp_path / "my_spotify_data.zip",
        {
            "Spotify Account Data/StreamingHistory_music_0.json": list(account_history(history)),
            "Spotify Account Data/YourLibrary.json": your_library(tracks[10:14]),
            "Spotify Account Data/Playlist1.json": playlists([("rainy", tracks[:6])]),
        },
    ).read_bytes()
    client.force_login(alice)

    status = upload(client, "my_spotify_data.zip", download)

    assert status["state"] == DataImport.State.DONE, status
    assert status["files_total"] == status["files_done"] == 3
    assert status["matched_percent"] == 100 and status["rows"] > 380
    assert (
        status["summary"]["plays_added"] == Play.objects.filter(user=alice, source=PlaySource.IMPORT).count()
    )
    assert ImportedTrack.objects.filter(user=alice, saved=True).count() == 4
    page = client.get(reverse("spotify:library")).content.decode()
    assert "What we imported" in page and "liked songs" in page


def test_an_extended_history_imports_once_and_again_changes_nothing(worker, client, alice, tracks, tmp_path):
    records = extended_history(tracks[:12], plays=600, start=START)
    download = zip_write(
        tmp_path / "extended.zip",
        {"Spotify Extended Streaming History/Streaming_History_Audio_2025_0.json": records},
    ).read_bytes()
    client.force_login(alice)

    first = upload(client, "my_spotify_data.zip", download)
    plays = sorted(Play.objects.filter(user=alice).values_list("played_at", "track_id", "skipped"))
    again = upload(client, "my_spotify_data (copy).zip", download)

    assert first["state"] == again["state"] == DataImport.State.DONE
    assert first["summary"]["plays_added"] == len(plays) > 500
    assert first["summary"]["not_music"] == 12  # every 50th record is a podcast episode
    assert again["summary"]["plays_added"] == 0
    assert again["summary"]["documents"][0]["state"] == "already imported"
    assert sorted(Play.objects.filter(user=alice).values_list("played_at", "track_id", "skipped")) == plays


def test_a_corrupt_file_fails_with_a_clear_message(worker, client, alice):
    client.force_login(alice)
    status = upload(client, "endsong_0.json", b'[{"ts": "2025-01-01T10:00:00Z", "ms_played": 1000}, {"ts": ')

    assert status["state"] == DataImport.State.FAILED
    assert status["error"].startswith(
        "That file isn't a Spotify data download: endsong_0.json is not valid JSON"
    )
    assert not Play.objects.filter(user=alice).exists()
