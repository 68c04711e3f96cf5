"""Celery tasks: take ids, call one service.

Refreshing is idempotent, so a lost database connection is retried with backoff; a missing
model is not (EmbeddingModelUnavailable surfaces at once).
"""

from __future__ import annotations

from celery import shared_task
from django.db import OperationalError

from recommender.profiles import track_profiles_embed_missing, track_profiles_refresh


@shared_task(autoretry_for=(OperationalError,), retry_backoff=True, max_retries=3)
def refresh_track_profiles(track_ids: list[int] | None = None) -> int:
    """Re-embed the given tracks (all tracks when None) whose mood text changed."""
    return track_profiles_refresh(track_ids=track_ids)


@shared_task(autoretry_for=(OperationalError,), retry_backoff=True, max_retries=3)
def embed_missing_profiles() -> int:
    """Beat's sweep: embed tracks that arrived without a profile."""
    return track_profiles_embed_missing()
