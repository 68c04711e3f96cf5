"""``import_catalog`` end to end: the catalog writes, the recommender follows its announcement."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command

from recommender.models import TrackProfile
from tests.catalog_csv import sample_rows, write_csv


@pytest.mark.django_db
def test_the_command_imports_files_and_embeds_now_when_asked(tmp_path) -> None:
    """The default path (enqueue for the worker) runs through a real worker: test_worker_integration."""
    rows = sample_rows()
    first = write_csv(tmp_path / "a.csv", rows[:2])
    second = write_csv(tmp_path / "b.csv", rows[2:])

    call_command("import_catalog", str(first), str(second), "--embed-now", stdout=(out := io.StringIO()))

    assert "3 tracks (3 new" in out.getvalue() and "skipped 2 rows" in out.getvalue()
    assert TrackProfile.objects.filter(embedding__isnull=False).count() == 3
