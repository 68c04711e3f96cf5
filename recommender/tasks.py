"""Celery tasks: take ids, call one service. Embedding is CPU-bound and idempotent, so a
task that dies half way is simply run again by the next beat."""

from __future__ import annotations

from celery import shared_task

from recommender.services import track_profiles_embed_missing, track_profiles_refresh


@shared_task
def refresh_track_profiles(track_ids: list[int] | None = None) -> int:
    """Re-embed the given tracks (all tracks when None) whose mood text changed."""
    return track_profiles_refresh(track_ids=track_ids)


@shared_task
def embed_missing_profiles() -> int:
    """Beat's sweep: embed tracks that arrived without a profile."""
    return track_profiles_embed_missing()
