"""The recommender follows the apps below it: fresh libraries get fresh candidates, new tracks profiles."""

from __future__ import annotations

from django.db import transaction
from django.dispatch import receiver

from catalog.signals import tracks_written
from recommender.profiles import track_profiles_refresh
from recommender.tasks import recall_candidates, refresh_track_profiles
from spotify.signals import library_synced


@receiver(library_synced, dispatch_uid="recommender.recall_after_sync")
def recall_after_sync(sender: object, user_id: int, **kwargs: object) -> None:
    recall_candidates.delay(user_id)


@receiver(tracks_written, dispatch_uid="recommender.profiles_after_write")
def profiles_after_write(sender: object, track_ids: list[int] | None, wait: bool, **kwargs: object) -> str:
    """Embed the written tracks' mood texts now (``wait``) or in the worker after commit."""
    if wait:
        return f"{track_profiles_refresh(track_ids=track_ids)} track profiles embedded"
    transaction.on_commit(lambda: refresh_track_profiles.delay(track_ids=track_ids))
    return "track profile refresh enqueued"
