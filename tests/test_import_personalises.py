"""An import alone personalises recall, as a sync does (the recommender reads what spotify stored)."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from recommender.models import Candidate
from recommender.recall import recall_candidates_for_user
from spotify.data_import.samples import SampleTrack, extended_history
from spotify.data_import.services import data_import_run, data_import_start
from tests.factories import PlaylistFactory

pytestmark = pytest.mark.django_db


def test_a_listener_with_only_an_import_gets_recall_from_their_own_artists(
    alice, small_catalog, settings, tmp_path
):
    settings.SPOTIFY_IMPORT_DIR = str(tmp_path)
    PlaylistFactory.create(
        name="Popular pool", tracks=small_catalog[:12]
    )  # the pool a cold start falls back on
    before = recall_candidates_for_user(user=alice)
    assert before.cold_start

    played, unplayed = (t for t in small_catalog if t.name in ("Rainy Window", "Quiet Harbour"))
    tracks = [SampleTrack(spotify_id=played.spotify_id, title=played.name, artist="Nora Vale")]
    records = list(extended_history(tracks, plays=200, start=datetime(2026, 10, 1, tzinfo=UTC)))
    upload = SimpleUploadedFile(
        "Streaming_History_Audio_2026_0.json", json.dumps(records).encode(), content_type="application/json"
    )
    run = data_import_start(user=alice, files=[upload])
    assert data_import_run(import_id=run.pk).state == "done"

    after = recall_candidates_for_user(user=alice)
    assert not after.cold_start and after.per_source["artists"] > 0
    recalled = set(Candidate.objects.filter(user=alice).values_list("track__name", flat=True))
    # Her other track comes from her artist; the one she played is known, so it is not offered as new.
    assert unplayed.name in recalled and played.name not in recalled
