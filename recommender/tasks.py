"""Celery tasks: take ids, call one service.

Refreshing is idempotent, so a lost database connection is retried with backoff; a missing
model is not (EmbeddingModelUnavailable surfaces at once). Recall is idempotent too: a
Spotify rate limit reschedules it after the server's Retry-After, other temporary Spotify
errors with backoff, and a permanent one never reaches here (recall goes catalog-only).
"""

from __future__ import annotations

import logging
from dataclasses import asdict
from typing import Any

from celery import shared_task
from django.db import OperationalError

from accounts.models import User
from recommender.profiles import track_profiles_embed_missing, track_profiles_refresh
from recommender.recall import recall_candidates_for_user, users_due_for_recall
from recommender.track_moods import track_mood_refresh
from spotify.errors import SpotifyError, SpotifyRateLimited
from spotify.tasks import retry_delay

logger = logging.getLogger(__name__)

RECALL_MAX_RETRIES = 5


@shared_task(autoretry_for=(OperationalError,), retry_backoff=True, max_retries=3)
def refresh_track_profiles(track_ids: list[int] | None = None) -> int:
    """Re-embed the given tracks (all tracks when None) whose mood text changed."""
    return track_profiles_refresh(track_ids=track_ids)


@shared_task(autoretry_for=(OperationalError,), retry_backoff=True, max_retries=3)
def embed_missing_profiles() -> int:
    """Beat's sweep: embed tracks that arrived without a profile."""
    return track_profiles_embed_missing()


@shared_task(autoretry_for=(OperationalError,), retry_backoff=True, max_retries=3)
def refresh_track_moods() -> int:
    """Beat, hourly: blend listeners' latest votes into every track's mood (cheap when nothing moved)."""
    return track_mood_refresh()


@shared_task(bind=True, max_retries=RECALL_MAX_RETRIES, acks_late=True)
def recall_candidates(self, user_id: int) -> dict[str, Any] | None:
    """Refresh one listener's candidates; gone users are skipped, Spotify's slow-downs waited out."""
    user = User.objects.filter(pk=user_id).first()
    if user is None:
        return None
    try:
        report = recall_candidates_for_user(user=user)
    except (SpotifyError, OperationalError) as exc:
        if isinstance(exc, SpotifyError) and exc.permanent:
            logger.info("recall of user %s stopped: %s", user_id, exc)
            return None
        if self.request.retries >= self.max_retries:
            logger.warning("recall of user %s gave up after %s retries: %s", user_id, self.max_retries, exc)
            return None
        retry_after = exc.retry_after if isinstance(exc, SpotifyRateLimited) else None
        countdown = retry_delay(self.request.retries, retry_after=retry_after)
        raise self.retry(countdown=countdown, exc=exc) from exc
    return asdict(report)


@shared_task
def recall_due_candidates() -> int:
    """Beat: queue a recall for every listener whose candidates are older than 12 hours."""
    user_ids = users_due_for_recall()
    for user_id in user_ids:
        recall_candidates.delay(user_id)
    return len(user_ids)
