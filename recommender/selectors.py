"""Reads the ranking needs about the site and a listener: weights, settings, history, tastes, feedback.

Each returns plain values (``Weights``, sets, dicts, vectors); the arithmetic on them lives in
``rank.py``, and the SQL/pgvector reads of the candidate pool in ``pool.py``.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import replace
from typing import TYPE_CHECKING, Any

import numpy as np
from django.db.models import Prefetch

from catalog.models import TrackArtist
from recommender.models import Feedback, ListenerSettings, RankingWeights, ServedList, TastePreference
from recommender.pool import profile_vectors
from recommender.rank import Weights, centroid
from spotify.data_import.selectors import imported_skipped_track_ids, imported_taste
from spotify.models import Play, TopTrack

if TYPE_CHECKING:
    from accounts.models import User

# What one piece of feedback says about a track; any other kind (a dislike) counts -1.
FEEDBACK_VALUE: dict[str, float] = {
    Feedback.Kind.LIKE: 1.0,
    Feedback.Kind.SAVED: 0.8,
    Feedback.Kind.SKIP: -0.5,
}
RECENT_PLAYS = 50  # the newest plays that make up "recent" listening


def site_weights_get() -> Weights:
    """The newest RankingWeights row (edited in the admin), or the defaults before any edit."""
    row = RankingWeights.objects.first()
    if row is None:
        return Weights()
    return Weights(
        alpha=row.alpha_emotion,
        beta=row.beta_recent,
        gamma=row.gamma_top,
        fit=row.fit,
        popularity=row.popularity,
        preference=row.preference,
        feedback=row.feedback,
        temperature=row.temperature,
        buckets=row.buckets,
        repeat_window=row.repeat_window,
        max_per_artist=row.max_per_artist,
        candidate_pool=row.candidate_pool,
    )


def listener_settings_get(*, user: User) -> ListenerSettings:
    """The listener's settings, unsaved defaults when they never changed them."""
    return ListenerSettings.objects.filter(user=user).first() or ListenerSettings(user=user)


def effective_weights_get(*, user: User, settings: ListenerSettings | None = None) -> Weights:
    """The site's weights with the listener's own α, β, γ and temperature where they set them."""
    settings = settings or listener_settings_get(user=user)
    overrides: dict[str, Any] = {
        "alpha": settings.alpha_emotion,
        "beta": settings.beta_recent,
        "gamma": settings.gamma_top,
        "temperature": settings.temperature,
    }
    return replace(
        site_weights_get(), **{name: value for name, value in overrides.items() if value is not None}
    )


def history_centroids_get(*, user: User) -> tuple[np.ndarray | None, np.ndarray | None]:
    """(recent, top): the mean direction of the listener's newest plays (skips left out) and of
    their short- and medium-term top tracks, or, without those, the most streamed tracks of an
    imported download; None where they have none with an embedding."""
    recent_ids = list(
        Play.objects.filter(user=user).exclude(skipped=True).values_list("track_id", flat=True)[:RECENT_PLAYS]
    )
    top_ids = (
        list(
            TopTrack.objects.filter(user=user, time_range__in=("short_term", "medium_term")).values_list(
                "track_id", flat=True
            )
        )
        or imported_taste(user=user).top_track_ids
    )
    vectors = profile_vectors(set(recent_ids) | set(top_ids))

    def mean_of(ids: list[int]) -> np.ndarray | None:
        rows = [np.asarray(vectors[i], dtype=np.float32) for i in ids if i in vectors]
        return centroid(np.array(rows)) if rows else None

    return mean_of(recent_ids), mean_of(top_ids)


def liked_tastes_get(*, user: User, track_ids: Sequence[int]) -> tuple[set[str], set[int]]:
    """(genres the listener likes, lower-case; the artists of ``track_ids`` they like, by id).

    Liked artists are stored by Spotify id; only artists credited on ``track_ids`` are looked up,
    and not at all when the listener likes nothing.
    """
    liked = TastePreference.objects.filter(user=user, liked=True)
    liked_genres = {p.value.lower() for p in liked if p.kind == TastePreference.Kind.GENRE}
    liked_artists = {p.value for p in liked if p.kind == TastePreference.Kind.ARTIST}
    if not liked_genres and not liked_artists:
        return set(), set()
    artist_spotify = dict(
        TrackArtist.objects.filter(track_id__any=list(track_ids)).values_list(
            "artist_id", "artist__spotify_id"
        )
    )
    return liked_genres, {
        artist_id for artist_id, spotify_id in artist_spotify.items() if spotify_id in liked_artists
    }


def feedback_totals_get(*, user: User) -> tuple[dict[int, float], dict[int, float]]:
    """(per track, per artist): the sum of the listener's feedback values (``FEEDBACK_VALUE``) on
    each track, and on each artist through the tracks credited to them. A track an imported
    history shows them skipping more than playing counts as one skip. Empty without either."""
    rows = list(Feedback.objects.filter(user=user).values_list("track_id", "kind"))
    rows += [(track_id, Feedback.Kind.SKIP) for track_id in imported_skipped_track_ids(user=user)]
    if not rows:
        return {}, {}
    per_track: dict[int, float] = defaultdict(float)
    for track_id, kind in rows:
        per_track[track_id] += FEEDBACK_VALUE.get(kind, -1.0)
    per_artist: dict[int, float] = defaultdict(float)
    for track_id, artist_id in TrackArtist.objects.filter(track_id__in=list(per_track)).values_list(
        "track_id", "artist_id"
    ):
        per_artist[artist_id] += per_track[track_id]
    return dict(per_track), dict(per_artist)


def last_served_bucket_get(*, user: User) -> int | None:
    """The diversity bucket of the listener's newest served list; None before the first."""
    return ServedList.objects.filter(user=user).values_list("bucket", flat=True).first()


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
