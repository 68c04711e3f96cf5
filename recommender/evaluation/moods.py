"""(b) Mood fit and (d) repetition, for what a listener says, taken through the agent's own
perception and listening target; and (c) the diversity of any method's lists."""

from __future__ import annotations

import time
from collections import defaultdict
from dataclasses import dataclass

import numpy as np

from accounts.models import User
from catalog.models import PlaylistItem
from mood.perception import mood_from_text
from mood.target import TargetRegion, listening_target, target_region
from recommender.evaluation.catalog import CatalogView
from recommender.evaluation.methods import MoodQuery, RecallFunction, ranked_by_ours
from recommender.evaluation.metrics import jaccard, mean
from recommender.evaluation.regions import region_distance, region_share
from recommender.evaluation.sandbox import history_store, history_track_ids, rolled_back, throwaway_user

# What a listener says, taken through the agent's own perception and listening target.
MOOD_PROMPTS: tuple[tuple[str, str], ...] = (
    ("sad", "I feel so sad and lonely tonight"),
    ("happy", "I'm so happy, I just got the job!"),
    ("calm", "play something calm, I need to relax"),
    ("angry", "I'm furious, my boss is driving me mad"),
    ("energetic", "pump me up for the gym"),
    ("neutral", "something for the commute"),
)


@dataclass(frozen=True)
class MoodTarget:
    name: str
    text: str
    label: str
    valence: float
    arousal: float

    @property
    def region(self) -> TargetRegion:
        return target_region(self.valence, self.arousal, strategy="match")


def mood_targets() -> list[MoodTarget]:
    """The prompts' targets, via ``mood_from_text`` and ``listening_target`` as a chat turn does."""
    targets = []
    for name, text in MOOD_PROMPTS:
        target = listening_target(mood_from_text(text), text)
        targets.append(MoodTarget(name, text, target.label, target.valence, target.arousal))
    return targets


@dataclass
class MoodCase:
    target: MoodTarget
    lists: dict[str, list[list[int]]]  # method → several top-10 lists


@dataclass
class RepetitionCase:
    mood: str
    persona: str  # "new listener" | "with history"
    jaccard: dict[str, float]


@dataclass
class MoodRun:
    cases: list[MoodCase]
    repetition: list[RepetitionCase]
    recall_used: bool
    seconds: float = 0.0


def mood_run(
    *,
    catalog: CatalogView,
    seed: int = 0,
    lists_per_mood: int = 5,
    count: int = 10,
    recall: RecallFunction | None = None,
    history_playlist_id: int | None = None,
) -> MoodRun:
    """(b) For each mood, a new listener (no history; recall's cold start when recall exists):
    ``lists_per_mood`` top-``count`` lists from ours (record=False, different seeds) vs the
    popularity top ``count`` vs random draws.

    (d) Then, for that listener and for one with history (the tracks of catalog playlist
    ``history_playlist_id``), two consecutive lists for the same mood with record=True, so the
    repeat window applies, and two with record=False (sampling alone).
    """
    started = time.perf_counter()
    history = (
        list(PlaylistItem.objects.filter(playlist_id=history_playlist_id).values_list("track_id", flat=True))
        if history_playlist_id is not None
        else []
    )
    cases: list[MoodCase] = []
    repetition: list[RepetitionCase] = []
    for index, target in enumerate(mood_targets()):
        mood = MoodQuery(target.label, target.valence, target.arousal, target.text)
        lists: dict[str, list[list[int]]] = defaultdict(list)
        personas: list[tuple[str, list[int]]] = [("new listener", [])] + (
            [("with history", history)] if history else []
        )
        for persona, tracks in personas:
            with rolled_back():
                user = throwaway_user(f"mood-{index}-{len(tracks)}")
                history_store(user, tracks)
                if recall is not None:
                    recall(user=user)
                if not tracks:
                    for draw in range(lists_per_mood):
                        rng = np.random.default_rng([seed, 100 + index, draw])
                        lists["ours"].append(ranked_by_ours(user, mood, count=count, rng=rng))
                repetition.append(
                    _repetition_case(
                        user, catalog, target, persona, mood, seed=seed, index=index, count=count
                    )
                )
        for draw in range(lists_per_mood):
            lists["popularity"].append(catalog.popular(exclude=(), count=count))
            lists["random"].append(
                catalog.random(exclude=(), count=count, rng=np.random.default_rng([seed, 200 + index, draw]))
            )
        cases.append(MoodCase(target, dict(lists)))
    return MoodRun(cases, repetition, recall is not None, time.perf_counter() - started)


def _repetition_case(
    user: User,
    catalog: CatalogView,
    target: MoodTarget,
    persona: str,
    mood: MoodQuery,
    *,
    seed: int,
    index: int,
    count: int,
) -> RepetitionCase:
    excluded = set(history_track_ids(user))
    rngs = [np.random.default_rng([seed, 300 + index, draw]) for draw in range(6)]
    unrecorded = [ranked_by_ours(user, mood, count=count, rng=rngs[draw]) for draw in (0, 1)]
    recorded = [ranked_by_ours(user, mood, count=count, rng=rngs[draw], record=True) for draw in (2, 3)]
    popular = [catalog.popular(exclude=excluded, count=count) for _ in (0, 1)]
    drawn = [catalog.random(exclude=excluded, count=count, rng=rngs[draw]) for draw in (4, 5)]
    return RepetitionCase(
        target.name,
        persona,
        {
            "ours (record=True)": jaccard(*recorded),
            "ours (record=False)": jaccard(*unrecorded),
            "popularity": jaccard(*popular),
            "random": jaccard(*drawn),
        },
    )


def mood_table(run: MoodRun, catalog: CatalogView) -> list[tuple[str, str, float, str, float, float]]:
    """Per mood: (mood, target "label v/a → centre ± width", catalog share in region, method,
    share of the top 10 in region, mean distance to the centre)."""
    total_valence, total_energy = catalog.affect_of(catalog.track_ids)
    rows = []
    for case in run.cases:
        region = case.target.region
        described = (
            f"{case.target.label} ({case.target.valence:+.1f},{case.target.arousal:+.1f}) → "
            f"({region.valence:.2f},{region.energy:.2f})±{region.width:.2f}"
        )
        base_rate = region_share(total_valence, total_energy, region)
        for method, lists in case.lists.items():
            shares, distances = [], []
            for ids in lists:
                valence, energy = catalog.affect_of(ids)
                shares.append(region_share(valence, energy, region))
                distances.append(float(np.nanmean(region_distance(valence, energy, region))))
            rows.append((case.target.name, described, base_rate, method, mean(shares), mean(distances)))
    return rows


def diversity_rows(
    catalog: CatalogView, lists_by_method: dict[str, list[list[int]]], k: int = 10
) -> list[tuple[str, float, float]]:
    """Per method: (name, mean distinct lead artists in the top ``k``, mean intra-list distance)."""
    rows = []
    for method, lists in lists_by_method.items():
        measured = [catalog.diversity(ids[:k]) for ids in lists if ids]
        rows.append((method, mean([m[0] for m in measured]), mean([m[1] for m in measured])))
    return rows
