"""Slow work goes through a real Celery worker process (not eager mode)."""

from __future__ import annotations

import pytest

from recommender.models import TrackProfile
from tests.factories import make_small_catalog

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_worker_process_embeds_newly_imported_tracks(celery_worker_process):
    from recommender.tasks import refresh_track_profiles

    tracks = make_small_catalog()
    assert not TrackProfile.objects.filter(embedding__isnull=False).exists()

    result = refresh_track_profiles.delay(track_ids=[track.pk for track in tracks])
    embedded = result.get(timeout=120)

    assert embedded == len(tracks)
    assert TrackProfile.objects.filter(embedding__isnull=False).count() == len(tracks)


def test_health_reports_every_part_alive_with_a_worker(client, celery_worker_process):
    response = client.get("/healthz")
    body = response.json()
    assert response.status_code == 200, body
    assert body["status"] == "ok"
    assert body["checks"]["database"]["pgvector"]
    assert body["checks"]["worker"]["workers"] >= 1
