"""Everything a recommendation reads about one listener, in one round trip.

A turn used to ask PostgreSQL a dozen small questions (settings, site weights, tastes, votes,
imported skips, the last bucket, whether there is any history); each waited on the network and
held a pool thread. ``listener_state_get`` asks them all in one statement and hands back plain
values; the agent's standing rules (``recommender.tastes``) and the ranking both read from it.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

from catalog.models import TrackArtist
from catalog.sql import server_bound_cursor
from recommender.models import (
    Feedback,
    ListenerSettings,
    RankingWeights,
    ServedList,
    TastePreference,
)
from recommender.rank import Weights
from spotify.data_import.selectors import MOSTLY_SKIPPED_MIN
from spotify.models import FollowedArtist, ImportedArtist, ImportedTrack, Play, TopArtist, TopTrack

if TYPE_CHECKING:
    from accounts.models import User

# What one piece of feedback says about a track; any other kind (a dislike) counts -1.
FEEDBACK_VALUE: dict[str, float] = {
    Feedback.Kind.LIKE: 1.0,
    Feedback.Kind.SAVED: 0.8,
    Feedback.Kind.SKIP: -0.5,
}

# RankingWeights columns → Weights fields (the admin's names are longer).
WEIGHT_COLUMNS = {
    "alpha_emotion": "alpha",
    "beta_recent": "beta",
    "gamma_top": "gamma",
    "fit": "fit",
    "popularity": "popularity",
    "preference": "preference",
    "feedback": "feedback",
    "temperature": "temperature",
    "buckets": "buckets",
    "repeat_window": "repeat_window",
    "max_per_artist": "max_per_artist",
    "candidate_pool": "candidate_pool",
}
SETTINGS_OVERRIDES = {"alpha_emotion": "alpha", "beta_recent": "beta", "gamma_top": "gamma"}


def weights_from_row(row: Mapping[str, Any] | None) -> Weights:
    """A RankingWeights row (as a mapping of its columns) as ``Weights``; defaults without one."""
    if row is None:
        return Weights()
    return Weights(**{name: row[column] for column, name in WEIGHT_COLUMNS.items()})


def weights_for(site: Weights, settings: ListenerSettings) -> Weights:
    """The site's weights with the listener's own α, β, γ and temperature where they set them."""
    overrides = {name: getattr(settings, column) for column, name in SETTINGS_OVERRIDES.items()}
    overrides["temperature"] = settings.temperature
    return replace(site, **{name: value for name, value in overrides.items() if value is not None})


@dataclass(frozen=True)
class Taste:
    kind: str
    value: str
    liked: bool


@dataclass(frozen=True)
class ListenerState:
    """One listener as the recommender sees them at the start of a request."""

    settings: ListenerSettings
    weights: Weights  # the site's, with the listener's overrides
    tastes: tuple[Taste, ...] = ()
    feedback_per_track: dict[int, float] = field(default_factory=dict)
    feedback_per_artist: dict[int, float] = field(default_factory=dict)
    last_bucket: int | None = None
    has_history: bool = False

    def liked(self, kind: str) -> set[str]:
        return {taste.value for taste in self.tastes if taste.kind == kind and taste.liked}

    def rejected(self, kind: str) -> set[str]:
        return {taste.value for taste in self.tastes if taste.kind == kind and not taste.liked}


def listener_state_get(*, user: User) -> ListenerState:
    """The listener's settings, weights, tastes, feedback totals, last bucket and whether they have
    any listening history — one statement."""
    tables = {
        "settings": ListenerSettings._meta.db_table,
        "weights": RankingWeights._meta.db_table,
        "taste": TastePreference._meta.db_table,
        "feedback": Feedback._meta.db_table,
        "link": TrackArtist._meta.db_table,
        "imported": ImportedTrack._meta.db_table,
        "imported_artist": ImportedArtist._meta.db_table,
        "served": ServedList._meta.db_table,
        "top": TopTrack._meta.db_table,
        "play": Play._meta.db_table,
        "top_artist": TopArtist._meta.db_table,
        "followed": FollowedArtist._meta.db_table,
    }
    sql = """
        SELECT
          (SELECT row_to_json(s) FROM {settings} s WHERE s.user_id = %(user)s),
          (SELECT row_to_json(w) FROM {weights} w ORDER BY w.created_at DESC, w.id DESC LIMIT 1),
          (SELECT json_agg(json_build_array(kind, value, liked)) FROM {taste} WHERE user_id = %(user)s),
          (SELECT json_agg(json_build_array(f.track_id, f.kind,
                    ARRAY(SELECT ta.artist_id FROM {link} ta WHERE ta.track_id = f.track_id)))
             FROM (SELECT track_id, kind FROM {feedback} WHERE user_id = %(user)s
                   UNION ALL
                   SELECT track_id, %(skip)s FROM {imported}
                    WHERE user_id = %(user)s AND skips >= %(skipped_min)s AND skips > plays) f),
          (SELECT bucket FROM {served} WHERE user_id = %(user)s ORDER BY created_at DESC, id DESC LIMIT 1),
          EXISTS (SELECT 1 FROM {top} WHERE user_id = %(user)s)
            OR EXISTS (SELECT 1 FROM {play} WHERE user_id = %(user)s)
            OR EXISTS (SELECT 1 FROM {top_artist} WHERE user_id = %(user)s)
            OR EXISTS (SELECT 1 FROM {followed} WHERE user_id = %(user)s)
            OR EXISTS (SELECT 1 FROM {imported} WHERE user_id = %(user)s)
            OR EXISTS (SELECT 1 FROM {imported_artist} WHERE user_id = %(user)s)
    """.format(**tables)  # table names from the models, values as parameters
    params: dict[str, Any] = {"user": user.pk, "skip": Feedback.Kind.SKIP, "skipped_min": MOSTLY_SKIPPED_MIN}
    with server_bound_cursor() as cursor:
        cursor.execute(sql, params)
        settings_row, weights_row, tastes, feedback, bucket, has_history = cursor.fetchone()
    settings = _settings(user, _json(settings_row))
    per_track, per_artist = _feedback_totals(_json(feedback) or [])
    return ListenerState(
        settings=settings,
        weights=weights_for(weights_from_row(_json(weights_row)), settings),
        tastes=tuple(Taste(kind, value, liked) for kind, value, liked in _json(tastes) or []),
        feedback_per_track=per_track,
        feedback_per_artist=per_artist,
        last_bucket=bucket,
        has_history=bool(has_history),
    )


def _json(value: Any) -> Any:
    """json/jsonb from a raw cursor: Django's psycopg setup leaves them as text."""
    return json.loads(value) if isinstance(value, str) else value


def _settings(user: User, row: Mapping[str, Any] | None) -> ListenerSettings:
    """The stored settings as an instance, or unsaved defaults when they never changed them."""
    if row is None:
        return ListenerSettings(user=user)
    names = {f.attname for f in ListenerSettings._meta.concrete_fields} - {"updated_at"}
    return ListenerSettings(**{name: row[name] for name in names if name in row})


def _feedback_totals(rows: list[list[Any]]) -> tuple[dict[int, float], dict[int, float]]:
    """(per track, per artist): the sum of the listener's feedback values on each track, and on each
    artist through the tracks credited to them."""
    per_track: dict[int, float] = defaultdict(float)
    artists_of: dict[int, list[int]] = {}
    for track_id, kind, artist_ids in rows:
        per_track[track_id] += FEEDBACK_VALUE.get(kind, -1.0)
        artists_of[track_id] = artist_ids or []
    per_artist: dict[int, float] = defaultdict(float)
    for track_id, artist_ids in artists_of.items():
        for artist_id in artist_ids:
            per_artist[artist_id] += per_track[track_id]
    return dict(per_track), dict(per_artist)
