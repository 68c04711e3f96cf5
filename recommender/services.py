"""The recommendation: (mood, preferences, prefetched candidates) in, a ranked, explained list out.

Slow work happened ahead of time (recall and profiles, in Celery); a request embeds one
mood query, gathers the listener's candidates plus the catalog tracks nearest the mood
(HNSW, ``pool.py``), reads what it knows of the listener (``selectors.py``), ranks with the
pure functions in ``rank.py`` and words each pick (``explain.py``). Every served list is stored
with its weights and score parts, so feedback can point at it and the admin can show why.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

import numpy as np
from django.db import transaction
from django.utils import timezone

from catalog.explicit import UNKNOWN_NOTE, explicit_masks
from catalog.sql import server_bound_cursor
from mood.encoder import DIMENSIONS, embed_phrase_and_words
from mood.mood_text import listener_words, mood_query_text
from mood.perception import EmotionEstimate
from mood.target import avoided_track_moods, listening_target, mood_centre, target_moods, target_without
from mood.track_mood import TRACK_MOODS
from recommender.cover_asks import CoverAsks
from recommender.explain import recommended_track
from recommender.listener_state import ListenerState, listener_state_get
from recommender.models import Feedback, MoodStrategy, ServedItem, ServedList, TastePreference
from recommender.pool import ScoredPool, pick_rows, pool_scored, profile_vectors
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
    state: ListenerState | None = None,
) -> list[RecommendedTrack]:
    """Up to ``count`` tracks new to ``user`` that fit the mood, each with its reasons.

    Sampled, not cut, inside a randomly chosen diversity bucket, and never repeating what
    the listener was served in the last ``repeat_window`` lists: the same mood twice gives
    two different lists that both fit. Empty when nothing is embedded yet. With ``record``
    the list is stored as a ServedList and each pick carries its ``served_item_id``.

    ``moods`` is the mix of track moods to aim at (``mood.target``); by default it follows from
    the label, the words and, to lift, the listener's setting. ``avoid_moods`` (track moods or
    the moods listeners name, "sadness") are taken out of the aim, and tracks that most likely
    carry one of them are never picked. ``state`` is the listener as read at the start of the
    turn (``listener_state_get``), read here when not given.

    Three statements in all: the listener, the scored pool, the record.
    """
    rng = rng if rng is not None else np.random.default_rng()
    state = state or listener_state_get(user=user)
    settings, weights = state.settings, state.weights
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
    query = _seeded_query(query, focus.seed_track_ids)
    pool = pool_scored(
        user=user,
        query=query,
        repeat_window=weights.repeat_window,
        limit=weights.candidate_pool,
        also_excluded=[*exclude_track_ids, *focus.seed_track_ids],
        liked_artists=state.liked(TastePreference.Kind.ARTIST),
        genres=focus.genres,
        artist_ids=focus.artist_ids,
        focused=FOCUSED_EXTRA,
    )
    if not len(pool):
        return []
    cold_start = not state.has_history
    explicitness = explicit_masks(pool.column(pool.EXPLICIT))
    arrays = _candidate_arrays(state=state, pool=pool, explicit=explicitness.explicit)
    scores, parts = score_parts(arrays, target=target, weights=weights)

    allowed = np.ones(len(arrays), dtype=bool) if allow_explicit else ~arrays.explicit
    allowed &= _focus_mask(pool, arrays, focus, allowed)
    allowed &= ~carries_mood(arrays.moods, avoided)
    bucket, bucket_bonus = _bucket_choice(state=state, arrays=arrays, weights=weights, rng=rng)
    shares = None if cold_start else settings.source_shares
    if cold_start:
        weights = replace(weights, temperature=max(weights.temperature, 0.15))  # variety over a thin signal
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

    ids = pool.column(pool.ID)
    found = pick_rows([ids[index] for index in chosen])
    chosen = [index for index in chosen if ids[index] in found]  # a track deleted meanwhile is left out
    shown = {index: found[ids[index]] for index in chosen}
    picks = [
        recommended_track(
            *shown[index],
            score=float(scores[index]),
            parts={name: float(values[index]) for name, values in parts.items()},
            sources=list(arrays.sources[index]),
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
    phrase = mood_query_text(words, 2 * valence - 1, 2 * energy - 1)
    return embed_phrase_and_words(phrase, listener_words(text))


def _seeded_query(query: np.ndarray, seed_track_ids: Sequence[int]) -> np.ndarray:
    """The mood query pulled ``SEED_PULL`` of the way toward the seed tracks' mean sound, unit length."""
    if not seed_track_ids:
        return query
    seeds = list(profile_vectors(seed_track_ids).values())
    if not seeds:
        return query
    mixed = (1 - SEED_PULL) * query + SEED_PULL * np.mean(seeds, axis=0)
    return (mixed / (np.linalg.norm(mixed) or 1.0)).astype(np.float32)


def _candidate_arrays(*, state: ListenerState, pool: ScoredPool, explicit: np.ndarray) -> CandidateArrays:
    """The pool as ranking reads it: aligned arrays, in pool order."""
    artists = pool.artist_ids()
    liked_genres = {genre.lower() for genre in state.liked(TastePreference.Kind.GENRE)}
    unknown_moods = [np.nan] * len(TRACK_MOODS)
    return CandidateArrays(
        embeddings=np.zeros((0, DIMENSIONS), dtype=np.float32),
        similarity=pool.similarity(),
        valence=pool.affect("valence"),
        energy=pool.affect("energy"),
        moods=np.array(
            [moods or unknown_moods for moods in pool.column(pool.MOODS)], dtype=np.float64
        ).reshape(-1, len(TRACK_MOODS)),
        popularity=pool.floats(pool.POPULARITY),
        artists=artists,
        sources=pool.sources(),
        preference=preference_scores(
            pool.column(pool.GENRE),
            artists,
            liked_genres=liked_genres,
            liked_artists=pool.liked_artist_ids(),
        ),
        feedback=feedback_scores(
            pool.column(pool.ID),
            artists,
            per_track=state.feedback_per_track,
            per_artist=state.feedback_per_artist,
        ),
        recall_weight=np.nan_to_num(pool.floats(pool.RECALL_WEIGHT), nan=0.0),
        explicit=explicit,
    )


def _focus_mask(pool: ScoredPool, arrays: CandidateArrays, focus: Focus, allowed: np.ndarray) -> np.ndarray:
    """Tracks the focus asks for; everything when the pool holds none of them (the caller says so)."""
    mask = np.ones(len(pool), dtype=bool)
    if focus.max_duration_ms:
        durations = pool.floats(pool.DURATION)
        mask &= (durations > 0) & (durations <= focus.max_duration_ms)
    if not focus.narrows:
        return mask
    genres = {genre.lower() for genre in focus.genres}
    artist_ids = set(focus.artist_ids)
    wanted = np.array(
        [
            genre.lower() in genres or subgenre.lower() in genres or bool(set(names) & artist_ids)
            for genre, subgenre, names in zip(
                pool.column(pool.GENRE), pool.column(pool.SUBGENRE), arrays.artists, strict=True
            )
        ],
        dtype=bool,
    )
    return mask & wanted if (mask & wanted & allowed).any() else mask


def _bucket_choice(
    *, state: ListenerState, arrays: CandidateArrays, weights: Weights, rng: np.random.Generator
) -> tuple[int | None, np.ndarray]:
    """A diversity bucket for this request and the sampling bonus it gives its tracks.

    Buckets slice candidates by artist; the chosen slice (never the one served last) gets a
    bonus of one temperature unit, so a request leans toward a different slice each time
    (about e≈2.7× the odds) without ever trading away mood fit as a hard cut would.
    """
    if weights.buckets <= 1:
        return None, np.zeros(len(arrays))
    bucket = choose_bucket(rng, weights.buckets, avoid=state.last_bucket)
    in_bucket = artist_buckets(arrays.artists, weights.buckets) == bucket
    return bucket, np.where(in_bucket, max(weights.temperature, 0.02), 0.0)


# --- writes ---------------------------------------------------------------------------------------


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

    One statement (the list and its items together, so never one without the other). Picks whose
    album has no cover yet get one looked up after the commit (``album_art_fill``, batched by
    ``cover_asks``), so they show it from the next reload; a broker hiccup never costs the list.
    """
    served, item = ServedList._meta.db_table, ServedItem._meta.db_table
    sql = f"""
        WITH served AS (
            INSERT INTO {served} (user_id, created_at, request_text, mood_label, track_mood, valence,
                                  arousal, strategy, bucket, weights, cold_start)
            VALUES (%(user)s, %(now)s, %(text)s, %(label)s, %(track_mood)s, %(valence)s, %(arousal)s,
                    %(strategy)s, %(bucket)s, %(weights)s::jsonb, %(cold_start)s)
            RETURNING id
        )
        INSERT INTO {item} (served_id, track_id, position, score, parts, sources, explanation)
        SELECT served.id, x.track_id, x.position, x.score, x.parts, x.sources, x.explanation
          FROM served, unnest(%(tracks)s::bigint[], %(positions)s::smallint[], %(scores)s::float8[],
                              %(parts)s::jsonb[], %(sources)s::jsonb[], %(explanations)s::text[])
               AS x(track_id, position, score, parts, sources, explanation)
        RETURNING id, position
    """  # table names from the models, values as parameters
    params: dict[str, Any] = {
        "user": user.pk,
        "now": timezone.now(),
        "text": text[:2000],
        "label": label,
        "track_mood": track_mood,
        "valence": valence,
        "arousal": arousal,
        "strategy": strategy,
        "bucket": bucket,
        "weights": json.dumps(vars(weights)),
        "cold_start": cold_start,
        "tracks": [pick.track_id for pick in picks],
        "positions": list(range(len(picks))),
        "scores": [float(pick.score) for pick in picks],
        "parts": [json.dumps(pick.parts) for pick in picks],
        "sources": [json.dumps(pick.sources) for pick in picks],
        "explanations": [pick.reason[:300] for pick in picks],
    }
    with server_bound_cursor() as cursor:
        cursor.execute(sql, params)
        item_ids = dict((position, item_id) for item_id, position in cursor.fetchall())
    coverless = covers_to_ask([pick.track_id for pick in picks if not pick.image])
    if coverless:
        transaction.on_commit(lambda: cover_asks.add(coverless), robust=True)
    return [replace(pick, served_item_id=item_ids[position]) for position, pick in enumerate(picks)]


def _covers_send(track_ids: list[int]) -> None:
    # argsrepr: Celery's own repr of the ids cost ~5 ms a call; no result is kept for anyone.
    album_art_fill.apply_async(  # type: ignore[call-arg]  # the stubs lack argsrepr
        (track_ids,), argsrepr=f"({len(track_ids)} tracks)", ignore_result=True
    )


cover_asks = CoverAsks(_covers_send)  # this process's batches of cover lookups for the worker
COVER_ASK_AGAIN_SECONDS = 300.0
_covers_asked: dict[int, float] = {}  # track id → when this process last asked the worker for its cover


def covers_to_ask(track_ids: Sequence[int], *, now: float | None = None) -> list[int]:
    """Of some coverless tracks, those this process has not asked the worker about lately.

    A popular track is served many times a minute; one lookup per few minutes is plenty (the
    worker's own call then fills it for everyone), and the broker is spared a task per turn.
    """
    now = time.monotonic() if now is None else now
    if len(_covers_asked) > 20_000:
        for track_id, asked in list(_covers_asked.items()):
            if now - asked > COVER_ASK_AGAIN_SECONDS:
                _covers_asked.pop(track_id, None)
    fresh = [
        t
        for t in track_ids
        if now - _covers_asked.get(t, -COVER_ASK_AGAIN_SECONDS) >= COVER_ASK_AGAIN_SECONDS
    ]
    for track_id in fresh:
        _covers_asked[track_id] = now
    return fresh


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
