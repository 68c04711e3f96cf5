"""The methods under evaluation that ask the database: our ranker, as a case's listener gets it,
and recall's own order. (The baselines that need only the catalog are ``CatalogView``'s.)"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from accounts.models import User
from recommender.models import Candidate, RankingWeights
from recommender.services import recommend_tracks

RecallFunction = Callable[..., object]


# A generous variant of the ranker: every recall candidate (recall keeps at most 1,500) is
# considered, instead of only the ``candidate_pool`` nearest the mood query. Chosen from the
# recall size, not from any result.
GENEROUS_POOL = 2000


@dataclass(frozen=True)
class MoodQuery:
    """What a request to the ranker says about mood: a label, circumplex coordinates, words."""

    label: str
    valence: float
    arousal: float
    text: str = ""


def ranked_by_ours(
    user: User, mood: MoodQuery, *, count: int, rng: np.random.Generator, record: bool = False
) -> list[int]:
    """Our ranked list's track ids, best first."""
    return list(ours_with_sources(user, mood, count=count, rng=rng, record=record))


def ours_with_sources(
    user: User, mood: MoodQuery, *, count: int, rng: np.random.Generator, record: bool = False
) -> dict[int, tuple[str, ...]]:
    """Our ranked list as track id → the recall sources behind each pick, best first."""
    picks = recommend_tracks(
        user=user,
        label=mood.label,
        valence=mood.valence,
        arousal=mood.arousal,
        text=mood.text,
        count=count,
        rng=rng,
        record=record,
    )
    return {pick.track_id: tuple(pick.sources) for pick in picks}


def generous_weights_install() -> None:
    """Put in force (inside the case's transaction) a copy of the current weights whose
    candidate pool covers every recall candidate."""
    current = RankingWeights.objects.first() or RankingWeights()
    current.pk = None
    current.candidate_pool = GENEROUS_POOL
    current.note = "eval_recommender: generous pool (rolled back)"
    current.save()


def recall_order(user: User, *, count: int) -> list[int]:
    """Recall's own ranking: the listener's candidates by weight."""
    return list(
        Candidate.objects.filter(user=user)
        .order_by("-weight", "track_id")
        .values_list("track_id", flat=True)[:count]
    )
