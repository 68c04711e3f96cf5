"""The recommendation: (mood, preferences, prefetched candidates) in, a ranked, explained list out.

Slow work happened ahead of time (recall and profiles, in Celery); a request embeds one
mood query, gathers the listener's candidates plus the catalog tracks nearest the mood
(HNSW, ``pool.py``), reads what it knows of the listener (``selectors.py``), ranks with the
pure functions in ``rank.py`` and words each pick (``explain.py``). Every served list is stored
with its weights and score parts, so feedback can point at it and the admin can show why.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

import numpy as np
from django.db import transaction

from catalog.explicit import UNKNOWN_NOTE, explicit_masks
from mood.encoder import DIMENSIONS, embed_text
from mood.mood_text import mood_query_text
from mood.perception import EmotionEstimate
from mood.target import avoided_track_moods, listening_target, mood_centre, target_moods, target_without
from mood.track_mood import TRACK_MOODS
from recommender.explain import recommended_track
from recommender.models import Feedback, MoodStrategy, ServedItem, ServedList
from recommender.pool import (
    MOOD_SOURCE,
    PoolRow,
    TrackRow,
    excluded_track_ids,
    genre_or_artist_filter,
    nearest_track_ids,
    pool_gather,
    pool_rows,
    profile_vectors,
)
from recommender.rank import (
    CandidateArrays,
    Weights,
    artist_buckets,
    carries_mood,
    choose_bucket,
    feedback_scores,
    preference_scores,
    score_parts,
    select,
)
from recommender.recall import has_listening_history
from recommender.selectors import (
    effective_weights_get,
    feedback_totals_get,
    history_centroids_get,
    last_served_bucket_get,
    liked_tastes_get,
    listener_settings_get,
)
from recommender.types import RecommendedTrack
from spotify.tasks import album_art_fill

if TYPE_CHECKING:
    from accounts.models import User


@dataclass(frozen=True)
class Focus:
    """What a request asks for beyond a mood: genres, artists, tracks to sound like, a length cap.

    Genres and artists narrow the list when the pool has any such track (the reply can then say
    so honestly when it has none); seed tracks pull the query toward how those tracks sound.
    """

    genres: tuple[str, ...] = ()
    artist_ids: tuple[int, ...] = ()
    seed_track_ids: tuple[int, ...] = ()
    max_duration_ms: int | None = None

    @property
    def narrows(self) -> bool:
        return bool(self.genres or self.artist_ids)


SEED_PULL = 0.65  # how far seed tracks pull the mood query toward themselves
FOCUSED_EXTRA = 200  # catalog tracks of the asked-for genres/artists added to a narrowing request's pool


def recommend_tracks(
    *,
    user: User,
    label: str,
    valence: float,
    arousal: float,
    text: str = "",
    count: int = 8,
    exclude_track_ids: Iterable[int] = (),
    rng: np.random.Generator | None = None,
    strategy: str | None = None,
    allow_explicit: bool | None = None,
    record: bool = True,
    focus: Focus | None = None,
    moods: Sequence[float] | None = None,
    avoid_moods: Iterable[str] = (),
) -> list[RecommendedTrack]:
    """Up to ``count`` tracks new to ``user`` that fit the mood, each with its reasons.

    Sampled, not cut, inside a randomly chosen diversity bucket, and never repeating what
    the listener was served in the last ``repeat_window`` lists: the same mood twice gives
    two different lists that both fit. Empty when nothing is embedded yet. With ``record``
    the list is stored as a ServedList and each pick carries its ``served_item_id``.

    ``moods`` is the mix of track moods to aim at (``mood.target``); by default it follows from
    the label, the words and, to lift, the listener's setting. ``avoid_moods`` (track moods or
    the moods listeners name, "sadness") are taken out of the aim, and tracks that most likely
    carry one of them are never picked.
    """
    rng = rng if rng is not None else np.random.default_rng()
    settings = listener_settings_get(user=user)
    weights = effective_weights_get(user=user, settings=settings)
    strategy = strategy or settings.mood_strategy
    allow_explicit = settings.allow_explicit if allow_explicit is None else allow_explicit
    lift = strategy == MoodStrategy.LIFT and valence < 0.2
    # The caller's mix stands unless the listener's own setting asks to lift a low mood.
    target = (
        np.asarray(moods, dtype=np.float64) if moods and not lift else target_moods(label, text, lift=lift)
    )
    avoided = avoided_track_moods(avoid_moods)
    target = target_without(target, avoided)
    query = _aim(label=label, target=target, text=text)
    focus = focus or Focus()
    excluded = (
        excluded_track_ids(user=user, repeat_window=weights.repeat_window)
        | set(exclude_track_ids)
        | set(focus.seed_track_ids)
    )
    query = _seeded_query(query, focus.seed_track_ids)
    pool = _pool(user=user, query=query, excluded=excluded, limit=weights.candidate_pool, focus=focus)
    if not pool:
        return []
    cold_start = not has_listening_history(user=user)
    arrays, rows = _candidate_arrays(user=user, pool=pool)
    recent, top = history_centroids_get(user=user)
    scores, parts = score_parts(arrays, query=query, recent=recent, top=top, target=target, weights=weights)

    allowed = np.ones(len(arrays), dtype=bool) if allow_explicit else ~arrays.explicit
    allowed &= _focus_mask(arrays, [row.track for row in rows], focus, allowed)
    allowed &= ~carries_mood(arrays.moods, avoided)
    bucket, bucket_bonus = _bucket_choice(user=user, arrays=arrays, weights=weights, rng=rng)
    shares = None if cold_start else settings.source_shares
    if cold_start:
        weights = replace(weights, temperature=max(weights.temperature, 0.15))  # variety over a thin signal
    explicitness = explicit_masks([row.track for row in rows])
    if allow_explicit:
        chosen = select(
            scores + bucket_bonus,
            arrays,
            count=count,
            rng=rng,
            weights=weights,
            allowed=allowed,
            shares=shares,
        )
    else:
        # Known-clean first; tracks nobody flagged either way only fill, and say so on the card.
        chosen = select(
            scores + bucket_bonus,
            arrays,
            count=count,
            rng=rng,
            weights=weights,
            allowed=allowed & explicitness.clean,
            shares=shares,
        )
        if len(chosen) < count:
            fill = allowed & explicitness.unknown
            fill[chosen] = False
            chosen += select(
                scores + bucket_bonus,
                arrays,
                count=count - len(chosen),
                rng=rng,
                weights=weights,
                allowed=fill,
            )
    chosen.sort(key=lambda index: -scores[index])

    picks = [
        recommended_track(
            rows[index].track,
            rows[index].artists,
            score=float(scores[index]),
            parts={name: float(values[index]) for name, values in parts.items()},
            sources=list(pool[rows[index].track.id]),
            valence=arrays.valence[index],
            energy=arrays.energy[index],
            moods=arrays.moods[index],
            target=target,
            lift=lift,
        )
        for index in chosen
    ]
    if not allow_explicit:
        picks = [
            replace(pick, reason=f"{pick.reason} · {UNKNOWN_NOTE}") if explicitness.unknown[index] else pick
            for pick, index in zip(picks, chosen, strict=True)
        ]
    if record:
        picks = _record(
            user=user,
            picks=picks,
            text=text,
            label=label,
            valence=valence,
            arousal=arousal,
            strategy=strategy,
            track_mood=TRACK_MOODS[int(np.argmax(target))],
            bucket=bucket or 0,
            weights=weights,
            cold_start=cold_start,
        )
    return picks


def recommend_for_mood(*, user: User, mood: EmotionEstimate, text: str, count: int) -> list[RecommendedTrack]:
    """What the agent picks for this mood and these words; ``manage.py recommend`` prints the same."""
    target = listening_target(mood, text)
    return recommend_tracks(
        user=user,
        label=target.label,
        valence=target.valence,
        arousal=target.arousal,
        text=text,
        count=count,
        strategy=target.strategy,
        moods=target.moods,
    )


# The words the mood query opens with, per track mood (the query then says where that mood
# lies in valence/energy, learned, and the listener's own words).
QUERY_WORDS = {"happy": "joy", "sad": "sadness", "calm": "calm", "energetic": "energize"}


def _aim(*, label: str, target: np.ndarray, text: str) -> np.ndarray:
    """The embedded mood query: described as the tracks of the target's moods are — at the
    learned valence/energy of those moods — so the index is asked for where they lie."""
    valence, energy = mood_centre(target)
    main = TRACK_MOODS[int(np.argmax(target))]
    words = QUERY_WORDS[main] if target.max() >= 0.5 else label
    return embed_text(mood_query_text(words, 2 * valence - 1, 2 * energy - 1, text))


def _pool(
    *, user: User, query: np.ndarray, excluded: set[int], limit: int, focus: Focus
) -> dict[int, tuple[str, ...]]:
    """The request's pool; a narrowing focus adds the asked-for genres' and artists' nearest tracks."""
    pool = pool_gather(user=user, query=query, excluded=excluded, limit=limit)
    if focus.narrows:
        only = genre_or_artist_filter(genres=focus.genres, artist_ids=focus.artist_ids)
        for track_id in nearest_track_ids(
            query, excluded=excluded | set(pool), limit=FOCUSED_EXTRA, only=only
        ):
            pool.setdefault(track_id, (MOOD_SOURCE,))
    return pool


def _seeded_query(query: np.ndarray, seed_track_ids: Sequence[int]) -> np.ndarray:
    """The mood query pulled ``SEED_PULL`` of the way toward the seed tracks' mean sound, unit length."""
    if not seed_track_ids:
        return query
    seeds = list(profile_vectors(seed_track_ids).values())
    if not seeds:
        return query
    mixed = (1 - SEED_PULL) * query + SEED_PULL * np.mean(seeds, axis=0)
    return (mixed / (np.linalg.norm(mixed) or 1.0)).astype(np.float32)


def _candidate_arrays(
    *, user: User, pool: dict[int, tuple[str, ...]]
) -> tuple[CandidateArrays, list[PoolRow]]:
    """The pool as ranking reads it: aligned arrays and rows, in pool order, embedded tracks only."""
    by_id = {row.track.id: row for row in pool_rows(user=user, track_ids=list(pool))}
    rows = [by_id[track_id] for track_id in pool if track_id in by_id]
    tracks = [row.track for row in rows]
    track_ids = [track.id for track in tracks]
    artists = [tuple(artist_id for artist_id, _ in row.artists) for row in rows]
    liked_genres, liked_artists = liked_tastes_get(user=user, track_ids=track_ids)
    per_track, per_artist = feedback_totals_get(user=user)
    embeddings = np.array([row.embedding for row in rows], dtype=np.float32).reshape(-1, DIMENSIONS)
    norms = np.linalg.norm(embeddings, axis=1, keepdims=True)
    arrays = CandidateArrays(
        embeddings=embeddings / np.where(norms == 0, 1, norms),
        valence=_floats(track.affect("valence") for track in tracks),
        energy=_floats(track.affect("energy") for track in tracks),
        moods=np.array(
            [row.moods if row.moods else [np.nan] * len(TRACK_MOODS) for row in rows], dtype=np.float64
        ).reshape(-1, len(TRACK_MOODS)),
        popularity=_floats(track.popularity for track in tracks),
        artists=artists,
        sources=[pool[track_id] for track_id in track_ids],
        preference=preference_scores(
            [track.genre for track in tracks], artists, liked_genres=liked_genres, liked_artists=liked_artists
        ),
        feedback=feedback_scores(track_ids, artists, per_track=per_track, per_artist=per_artist),
        recall_weight=_floats(0.0 if row.recall_weight is None else row.recall_weight for row in rows),
        explicit=explicit_masks(tracks).explicit,
    )
    return arrays, rows


def _focus_mask(
    arrays: CandidateArrays, tracks: Sequence[TrackRow], focus: Focus, allowed: np.ndarray
) -> np.ndarray:
    """Tracks the focus asks for; everything when the pool holds none of them (the caller says so)."""
    mask = np.ones(len(tracks), dtype=bool)
    if focus.max_duration_ms:
        mask &= np.array([0 < track.duration_ms <= focus.max_duration_ms for track in tracks])
    if not focus.narrows:
        return mask
    genres = {genre.lower() for genre in focus.genres}
    artist_ids = set(focus.artist_ids)
    wanted = np.array(
        [
            track.genre.lower() in genres or track.subgenre.lower() in genres or bool(set(names) & artist_ids)
            for track, names in zip(tracks, arrays.artists, strict=True)
        ]
    )
    return mask & wanted if (mask & wanted & allowed).any() else mask


def _bucket_choice(
    *, user: User, arrays: CandidateArrays, weights: Weights, rng: np.random.Generator
) -> tuple[int | None, np.ndarray]:
    """A diversity bucket for this request and the sampling bonus it gives its tracks.

    Buckets slice candidates by artist; the chosen slice (never the one served last) gets a
    bonus of one temperature unit, so a request leans toward a different slice each time
    (about e≈2.7× the odds) without ever trading away mood fit as a hard cut would.
    """
    if weights.buckets <= 1:
        return None, np.zeros(len(arrays))
    bucket = choose_bucket(rng, weights.buckets, avoid=last_served_bucket_get(user=user))
    in_bucket = artist_buckets(arrays.artists, weights.buckets) == bucket
    return bucket, np.where(in_bucket, max(weights.temperature, 0.02), 0.0)


def _floats(values: Iterable[float | int | None]) -> np.ndarray:
    return np.array([np.nan if value is None else float(value) for value in values], dtype=np.float64)


# --- writes ---------------------------------------------------------------------------------------


@transaction.atomic
def _record(
    *,
    user: User,
    picks: list[RecommendedTrack],
    text: str,
    label: str,
    valence: float,
    arousal: float,
    strategy: str,
    track_mood: str,
    bucket: int,
    weights: Weights,
    cold_start: bool,
) -> list[RecommendedTrack]:
    """Store the list as served, with the weights in force; the picks come back with their item ids.

    Picks whose album has no cover yet get one looked up after the commit (``album_art_fill``), so
    they show it from the next reload; a broker hiccup then never costs the list.
    """
    served = ServedList.objects.create(
        user=user,
        request_text=text[:2000],
        mood_label=label,
        valence=valence,
        arousal=arousal,
        strategy=strategy,
        track_mood=track_mood,
        bucket=bucket,
        weights=vars(weights),
        cold_start=cold_start,
    )
    items = ServedItem.objects.bulk_create(
        [
            ServedItem(
                served=served,
                track_id=pick.track_id,
                position=position,
                score=pick.score,
                parts=pick.parts,
                sources=pick.sources,
                explanation=pick.reason[:300],
            )
            for position, pick in enumerate(picks)
        ]
    )
    coverless = [pick.track_id for pick in picks if not pick.image]
    if coverless:
        transaction.on_commit(lambda: album_art_fill.delay(coverless), robust=True)
    return [replace(pick, served_item_id=item.pk) for pick, item in zip(picks, items, strict=True)]


def feedback_record(*, user: User, track_id: int, kind: str, served_item_id: int | None = None) -> Feedback:
    """Store 👍/👎/skip/saved for one of the listener's tracks; the next ranking reads it."""
    if kind not in Feedback.Kind.values:
        raise ValueError(f"unknown feedback {kind!r}")
    item = None
    if served_item_id is not None:
        item = ServedItem.objects.filter(pk=served_item_id, served__user=user, track_id=track_id).first()
    with transaction.atomic():
        if kind in VOTE_KINDS:
            # A changed mind replaces the earlier vote: a ♥ after a ✕ must let the track come back.
            vote_withdraw(user=user, track_id=track_id)
        return Feedback.objects.create(user=user, track_id=track_id, kind=kind, item=item)


VOTE_KINDS = (Feedback.Kind.LIKE, Feedback.Kind.DISLIKE)


def vote_withdraw(*, user: User, track_id: int) -> int:
    """Take back the listener's ♥/✕ on a track (skips and saves stay: they are things that happened)."""
    deleted, _ = Feedback.objects.filter(user=user, track_id=track_id, kind__in=VOTE_KINDS).delete()
    return deleted
