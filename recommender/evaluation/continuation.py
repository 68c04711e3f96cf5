"""(a) Playlist continuation: hide a fifth of a catalog playlist, give a throwaway listener the rest
as history, and ask each method for the hidden tracks.

The leak guard (``hidden_tracks_rehome``) keeps the hidden tracks from co-occurring with the
history through the playlist they were hidden from; ``genre_labels_removed`` reruns the same
without the catalog's genre labels, which nearly name a demo track's playlist.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable, Collection, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field

import numpy as np
from django.db import connection
from django.db.models import Count

from accounts.models import User
from catalog.models import Playlist, PlaylistItem, Track
from recommender.evaluation.catalog import CatalogView
from recommender.evaluation.methods import (
    GENEROUS_POOL,
    MoodQuery,
    RecallFunction,
    generous_weights_install,
    ours_with_sources,
    recall_order,
)
from recommender.evaluation.metrics import hit_at_k, holdout_split, mean, ndcg_at_k, recall_at_k
from recommender.evaluation.regions import mood_for_tracks
from recommender.evaluation.sandbox import history_store, rolled_back, throwaway_user
from recommender.models import Candidate, TrackProfile
from recommender.profiles import track_profiles_refresh


@dataclass(frozen=True)
class CaseState:
    """What a case looks like after its history and leak guard are in place, before recall;
    given to ``on_case`` hooks (the tests check the leak guard with it)."""

    user: User
    playlist_id: int
    visible: tuple[int, ...]
    hidden: tuple[int, ...]


@dataclass
class ContinuationCase:
    playlist_id: int
    name: str
    visible: list[int]
    hidden: list[int]
    lists: dict[str, list[int]]
    sources: dict[str, dict[int, tuple[str, ...]]] = field(default_factory=dict)  # ours: id → sources
    hidden_in_candidates: int = 0  # hidden tracks among the recall candidates (ours' ceiling)


@dataclass
class ContinuationRun:
    cases: list[ContinuationCase]
    recall_used: bool
    skipped_small: int
    seconds: float = 0.0


def hidden_tracks_rehome(*, playlist_id: int, hidden: Collection[int]) -> None:
    """The leak guard: move each hidden track out of the evaluated playlist into a one-track
    catalog playlist of its own, for the case's transaction only.

    Co-occurrence then cannot reach a hidden track through the playlist it was hidden from (a
    one-track playlist shares nothing with the history), while every track still counts the
    same number of catalog playlists, so the popular pool neither favours nor (as deleting
    the items would: every other catalog track is in some playlist) penalises hidden tracks.
    Other playlists that hold a hidden track are left alone: that is real co-occurrence.
    """
    for track_id in hidden:
        holder = Playlist.objects.create(
            spotify_id=f"eval-holdout-{playlist_id}-{track_id}", name="evaluation hold-out", owner=None
        )
        PlaylistItem.objects.filter(playlist_id=playlist_id, track_id=track_id).update(
            playlist=holder, position=0
        )


@contextmanager
def genre_labels_removed() -> Iterator[int]:
    """Blank every track's genre and subgenre and re-embed the catalog, for the block only
    (rolled back after); yields how many profiles were re-embedded.

    In the demo catalog a track's genre/subgenre is the label of the playlist it appears in
    most often, so the labels (which are in every mood text) nearly name a track's playlist.
    Without them, continuation measures what history, artists and sound alone recover.
    """
    try:
        with rolled_back():
            Track.objects.update(genre="", subgenre="")
            yield track_profiles_refresh()
    finally:
        # The rolled-back updates leave a dead version of every profile in the HNSW index;
        # until vacuumed, index scans walk them and can return fewer rows than asked.
        if not connection.in_atomic_block:
            with connection.cursor() as cursor:
                cursor.execute(f"VACUUM ANALYZE {TrackProfile._meta.db_table}")


def continuation_playlists(*, sample: int, seed: int, min_tracks: int = 5) -> tuple[list[int], int, int]:
    """(playlist ids to evaluate, how many were eligible, how many were too small): catalog
    playlists of at least ``min_tracks`` tracks, a seeded sample of ``sample`` of them (0 = all),
    in id order."""
    sizes = dict(
        Playlist.objects.filter(owner__isnull=True)
        .exclude(spotify_id__startswith="eval-")
        .annotate(n=Count("items"))
        .values_list("pk", "n")
    )
    eligible = sorted(pk for pk, n in sizes.items() if n >= min_tracks)
    small = len(sizes) - len(eligible)
    chosen = eligible
    if sample and sample < len(eligible):
        rng = np.random.default_rng([seed, 1])
        chosen = sorted(int(pk) for pk in rng.choice(eligible, size=sample, replace=False))
    return chosen, len(eligible), small


def continuation_run(
    *,
    catalog: CatalogView,
    playlist_ids: Sequence[int],
    seed: int = 0,
    fraction: float = 0.2,
    count: int = 50,
    generous: bool = True,
    recall: RecallFunction | None = None,
    on_case: Callable[[CaseState], None] | None = None,
    skipped_small: int = 0,
) -> ContinuationRun:
    """Hide ``fraction`` of each playlist, give a throwaway listener the rest as history, and
    collect each method's top ``count``.

    The mood is label "neutral" at the coordinates whose target region is centred on the
    visible tracks' mean valence/energy (``mood_for_tracks``): a playlist states no feeling,
    so the query should only describe how the listener's music already sounds, and the
    history terms (β recent, γ top) and recall decide the rest.
    """
    started = time.perf_counter()
    names = dict(Playlist.objects.filter(pk__in=playlist_ids).values_list("pk", "name"))
    cases = []
    for playlist_id in playlist_ids:
        items = list(
            PlaylistItem.objects.filter(playlist_id=playlist_id)
            .order_by("position")
            .values_list("track_id", flat=True)
        )
        visible, hidden = holdout_split(
            items, fraction=fraction, rng=np.random.default_rng([seed, playlist_id])
        )
        lists: dict[str, list[int]] = {}
        sources: dict[str, dict[int, tuple[str, ...]]] = {}
        in_candidates = 0
        with rolled_back():
            user = throwaway_user(f"playlist-{playlist_id}")
            history_store(user, visible)
            hidden_tracks_rehome(playlist_id=playlist_id, hidden=hidden)
            if on_case is not None:
                on_case(CaseState(user, playlist_id, tuple(visible), tuple(hidden)))
            if recall is not None:
                recall(user=user)
                lists["recall order (weight)"] = recall_order(user, count=count)
                in_candidates = Candidate.objects.filter(user=user, track_id__in=hidden).count()
            valence, arousal = mood_for_tracks(*catalog.affect_of(visible))
            mood = MoodQuery("neutral", valence, arousal)
            sources["ours"] = ours_with_sources(
                user, mood, count=count, rng=np.random.default_rng([seed, playlist_id, 0])
            )
            if generous:
                generous_weights_install()
                sources[f"ours, pool {GENEROUS_POOL:,}"] = ours_with_sources(
                    user, mood, count=count, rng=np.random.default_rng([seed, playlist_id, 0])
                )
            lists.update((method, list(picked)) for method, picked in sources.items())
        known = set(visible)
        lists["popularity"] = catalog.popular(exclude=known, count=count)
        lists["same genre label + popularity (probe)"] = catalog.same_label_popular(
            history=visible, exclude=known, count=count
        )
        lists["random"] = catalog.random(
            exclude=known, count=count, rng=np.random.default_rng([seed, playlist_id, 9])
        )
        cases.append(
            ContinuationCase(
                playlist_id, names.get(playlist_id, ""), visible, hidden, lists, sources, in_candidates
            )
        )
    return ContinuationRun(cases, recall is not None, skipped_small, time.perf_counter() - started)


def continuation_table(run: ContinuationRun) -> list[tuple[str, float, float, float, float]]:
    """Per method: (name, recall@10, recall@50, NDCG@10, share of playlists with a hit in the top 50)."""
    methods = list(dict.fromkeys(name for case in run.cases for name in case.lists))
    rows = []
    for method in methods:
        cases = [case for case in run.cases if method in case.lists]
        rows.append(
            (
                method,
                mean([recall_at_k(c.lists[method], c.hidden, 10) for c in cases]),
                mean([recall_at_k(c.lists[method], c.hidden, 50) for c in cases]),
                mean([ndcg_at_k(c.lists[method], c.hidden, 10) for c in cases]),
                mean([hit_at_k(c.lists[method], c.hidden, 50) for c in cases]),
            )
        )
    return rows


def continuation_hits_by_source(run: ContinuationRun, method: str, k: int = 50) -> Counter[str]:
    """Hidden tracks in ``method``'s top ``k``, counted by the first recall source behind each
    ("mood" = a catalog track found only by its closeness to the mood query)."""
    hits: Counter[str] = Counter()
    for case in run.cases:
        picked = case.sources.get(method, {})
        for track_id in case.lists.get(method, [])[:k]:
            if track_id in case.hidden:
                hits[(picked.get(track_id) or ("?",))[0]] += 1
    return hits
