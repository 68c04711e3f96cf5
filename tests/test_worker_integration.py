"""Slow work goes through a real Celery worker process (not eager mode)."""

from __future__ import annotations

import time

import pytest
from django.core.management import call_command

from recommender.models import TrackProfile
from recommender.tasks import refresh_track_profiles
from tests.catalog_csv import row, write_csv
from tests.factories import make_small_catalog

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_worker_process_embeds_newly_imported_tracks(celery_worker_process):
    tracks = make_small_catalog()
    assert not TrackProfile.objects.filter(embedding__isnull=False).exists()

    result = refresh_track_profiles.delay(track_ids=[track.pk for track in tracks])
    embedded = result.get(timeout=120)

    assert embedded == len(tracks)
    assert TrackProfile.objects.filter(embedding__isnull=False).count() == len(tracks)


def test_import_catalog_hands_embedding_to_the_worker(celery_worker_process, tmp_path):
    path = write_csv(
        tmp_path / "catalog.csv",
        [
            row("4uLU6hMCjMI75M1A2tKUQC", "Never Gonna", "Rick A", "37i9dQZF1DXcBWIGoYBM5M", "pop"),
            row("7qiZfU4dY1lWllzX7mPBI3", "Shape", "Ed S", "37i9dQZF1DXcBWIGoYBM5M", "pop"),
        ],
    )
    call_command("import_catalog", str(path))  # enqueues after commit; no --embed-now

    deadline = time.monotonic() + 120
    while TrackProfile.objects.filter(embedding__isnull=False).count() < 2:
        assert time.monotonic() < deadline, "the worker did not embed the imported tracks"
        time.sleep(0.5)
    assert set(TrackProfile.objects.values_list("track__name", flat=True)) == {"Never Gonna", "Shape"}


def test_health_reports_every_part_alive_with_a_worker(client, admin_user, celery_worker_process):
    client.force_login(admin_user)  # staff see the details (versions, worker count)
    response = client.get("/healthz")
    body = response.json()
    assert response.status_code == 200, body
    assert body["status"] == "ok"
    assert body["checks"]["database"]["pgvector"]
    assert body["checks"]["worker"]["workers"] >= 1
