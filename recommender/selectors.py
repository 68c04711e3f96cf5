"""Reads about the site and a listener outside a recommendation: weights, settings, votes.

A recommendation reads the listener in one statement (``listener_state.py``) and its pool in
another (``pool.py``); these serve the admin, the preferences page and the evaluation report.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db.models import Prefetch

from catalog.models import TrackArtist
from recommender.listener_state import WEIGHT_COLUMNS, weights_from_row
from recommender.models import Feedback, ListenerSettings, RankingWeights
from recommender.rank import Weights

if TYPE_CHECKING:
    from accounts.models import User


def site_weights_get() -> Weights:
    """The newest RankingWeights row (edited in the admin), or the defaults before any edit."""
    row = RankingWeights.objects.values(*WEIGHT_COLUMNS).first()
    return weights_from_row(row)


def listener_settings_get(*, user: User) -> ListenerSettings:
    """The listener's settings, unsaved defaults when they never changed them."""
    return ListenerSettings.objects.filter(user=user).first() or ListenerSettings(user=user)


def track_votes(*, user: User, limit: int = 100) -> list[Feedback]:
    """The listener's standing ♥/✕ per track, newest first, with the track and its artists loaded."""
    latest = (
        Feedback.objects.filter(user=user, kind__in=(Feedback.Kind.LIKE, Feedback.Kind.DISLIKE))
        .order_by("track_id", "-created_at", "-id")
        .distinct("track_id")
        .values_list("id", flat=True)
    )
    artists = Prefetch("track__artist_links", queryset=TrackArtist.objects.select_related("artist"))
    return list(
        Feedback.objects.filter(id__in=latest)
        .select_related("track")
        .prefetch_related(artists)
        .order_by("-created_at", "-id")[:limit]
    )
