"""Ranking metrics over plain lists: recall, NDCG, hits, overlap, diversity, and the hold-out split."""

from __future__ import annotations

import math
from collections.abc import Collection, Hashable, Sequence
from typing import TypeVar

import numpy as np

T = TypeVar("T")


def recall_at_k(ranked: Sequence[Hashable], relevant: Collection[Hashable], k: int) -> float:
    """Share of ``relevant`` found in the first ``k`` of ``ranked``; NaN when nothing is relevant."""
    if not relevant:
        return math.nan
    return len(set(ranked[:k]) & set(relevant)) / len(set(relevant))


def ndcg_at_k(ranked: Sequence[Hashable], relevant: Collection[Hashable], k: int) -> float:
    """Binary-relevance NDCG: sum of 1/log2(rank+1) over hits in the top ``k`` (rank from 1),
    divided by the same sum for a perfect list of min(k, |relevant|) hits. A repeated item
    counts once. NaN when nothing is relevant."""
    wanted = set(relevant)
    if not wanted:
        return math.nan
    seen: set[Hashable] = set()
    dcg = 0.0
    for index, item in enumerate(ranked[:k]):
        if item in wanted and item not in seen:
            dcg += 1.0 / math.log2(index + 2)
        seen.add(item)
    ideal = sum(1.0 / math.log2(index + 2) for index in range(min(k, len(wanted))))
    return dcg / ideal


def hit_at_k(ranked: Sequence[Hashable], relevant: Collection[Hashable], k: int) -> float:
    """1.0 when any relevant item is in the top ``k``, else 0.0; NaN when nothing is relevant."""
    if not relevant:
        return math.nan
    return 1.0 if set(ranked[:k]) & set(relevant) else 0.0


def jaccard(first: Collection[Hashable], second: Collection[Hashable]) -> float:
    """|A ∩ B| / |A ∪ B|; two empty lists are identical (1.0)."""
    a, b = set(first), set(second)
    if not a and not b:
        return 1.0
    return len(a & b) / len(a | b)


def intra_list_distance(embeddings: np.ndarray) -> float:
    """Mean of 1 − cosine over all distinct pairs of rows; NaN for fewer than two rows."""
    rows = np.asarray(embeddings, dtype=np.float64)
    n = len(rows)
    if n < 2:
        return math.nan
    norms = np.linalg.norm(rows, axis=1, keepdims=True)
    unit = rows / np.where(norms == 0, 1, norms)
    cosine = unit @ unit.T
    upper = cosine[np.triu_indices(n, k=1)]
    return float(np.mean(1.0 - upper))


def distinct_count(values: Sequence[Hashable]) -> int:
    return len(set(values))


def mean(values: Sequence[float]) -> float:
    """Mean ignoring NaN; NaN when there is nothing to average."""
    kept = [value for value in values if not math.isnan(value)]
    return float(np.mean(kept)) if kept else math.nan


def holdout_split(
    items: Sequence[T], *, fraction: float, rng: np.random.Generator, minimum: int = 1
) -> tuple[list[T], list[T]]:
    """(visible, hidden): a random ``fraction`` (rounded, at least ``minimum``) hidden; both keep
    the input order, and at least one item stays visible."""
    if not 0 < fraction < 1:
        raise ValueError("fraction must be between 0 and 1")
    hidden_count = min(len(items) - 1, max(minimum, round(fraction * len(items))))
    if hidden_count < 1:
        return list(items), []
    hidden_at = set(rng.choice(len(items), size=hidden_count, replace=False).tolist())
    visible = [item for index, item in enumerate(items) if index not in hidden_at]
    hidden = [item for index, item in enumerate(items) if index in hidden_at]
    return visible, hidden
