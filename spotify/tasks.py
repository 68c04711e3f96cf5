"""Celery interface to the library sync: load by id, call one service, own the retry policy."""

from __future__ import annotations

import logging
import random

from celery import shared_task
from django.conf import settings
from django.db import transaction

from accounts.models import User

from . import services
from .data_import.services import data_import_run
from .errors import SpotifyError, SpotifyRateLimited
from .selectors import libraries_due_for_sync
from .signals import library_synced

logger = logging.getLogger(__name__)

MAX_RETRIES = 5


def retry_delay(attempt: int, *, retry_after: int | None = None) -> float:
    """Seconds before the next try: the server's Retry-After (capped) or exponential backoff, plus jitter.

    Jitter spreads listeners that hit the same rolling-window limit, so they do not all return at once.
    """
    if retry_after is not None:
        base = min(retry_after, settings.SPOTIFY_RETRY_AFTER_CAP_SECONDS)
    else:
        base = min(30 * 2**attempt, 1800)
    return base + random.uniform(0, max(1.0, base * 0.1))


@shared_task(bind=True, max_retries=MAX_RETRIES, acks_late=True)
def sync_library(self, user_id: int) -> dict[str, int] | None:
    user = User.objects.filter(pk=user_id).first()
    if user is None:
        return None
    try:
        report = services.library_sync(user=user, claim_id=self.request.id or "")
    except SpotifyError as exc:
        if exc.permanent:
            logger.info("library sync of user %s stopped: %s", user_id, exc)
            return None
        if self.request.retries >= self.max_retries:
            services.library_sync_given_up(
                user=user, error=f"Gave up after {self.max_retries} retries: {exc}"
            )
            return None
        if isinstance(exc, SpotifyRateLimited):
            countdown = retry_delay(self.request.retries, retry_after=exc.retry_after)
            services.library_sync_waiting(user=user, retry_in_seconds=int(countdown))
        else:
            countdown = retry_delay(self.request.retries)
        raise self.retry(countdown=countdown, exc=exc) from exc
    if isinstance(report, services.SyncReport):
        transaction.on_commit(lambda: library_synced.send(sender=sync_library, user_id=user_id))
    return vars(report)


@shared_task
def sync_due_libraries() -> int:
    """Beat: queue a sync for every connected listener whose library is older than the interval."""
    user_ids = libraries_due_for_sync()
    for user_id in user_ids:
        sync_library.delay(user_id)
    return len(user_ids)


@shared_task(acks_late=True)
def check_uncertain_create(write_id: int, attempt: int = 0) -> str:
    """Settle a playlist create Spotify did not answer; looks again later while it stays uncertain."""
    from .playlist_writes import uncertain_create_check, uncertain_create_retry  # it queues this task

    try:
        state = uncertain_create_check(write_id)
    except SpotifyError as exc:
        logger.info("checking uncertain create %s failed (%s); looking again later", write_id, exc)
        state = "uncertain"
    if state == "uncertain":
        uncertain_create_retry(write_id, attempt)
    return state


@shared_task(acks_late=True)
def album_art_fill(track_ids: list[int]) -> int:
    """Covers for the albums of these tracks that have none, read with the app's own token.

    No retries of its own: a rate limit or an outage stops it quietly and the next list served
    with these tracks queues another.
    """
    return services.album_covers_fill(track_ids=track_ids)


@shared_task(bind=True, acks_late=True, time_limit=40 * 60, soft_time_limit=38 * 60)
def import_spotify_data(self, import_id: int) -> dict[str, object] | None:
    """Read an uploaded Spotify data download, then let recall follow as after a sync.

    No retries: what went wrong is shown to the listener, who uploads again (the files already
    imported are passed over). A worker killed mid-import gets the task redelivered
    (acks_late), and the same task takes its import over.
    """
    data_import = data_import_run(import_id=import_id, claim_id=self.request.id or "")
    if data_import is None:
        return None
    user_id = data_import.user_id
    if data_import.state == data_import.State.DONE:
        transaction.on_commit(lambda: library_synced.send(sender=import_spotify_data, user_id=user_id))
    # Counts only: the result backend is no place for what the listener played.
    return {"state": data_import.state, "rows": data_import.rows, "matched": data_import.matched}
