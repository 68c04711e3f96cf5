"""Classification figures for emotion labels: accuracy, F1 (per class, macro, weighted), confusion.

Macro-F1 averages over the labels that occur in the gold or the predicted labels (as
scikit-learn does), so a tiny file without, say, disgust is not marked down for it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from .labels import LABELS

_INDEX = {label: index for index, label in enumerate(LABELS)}


@dataclass(frozen=True)
class EmotionScores:
    count: int
    accuracy: float
    macro_f1: float
    weighted_f1: float
    per_class_f1: dict[str, float]
    support: dict[str, int]
    confusion: np.ndarray  # rows = gold, columns = predicted, in LABELS order


def score_labels(gold: Sequence[str], predicted: Sequence[str]) -> EmotionScores:
    if len(gold) != len(predicted):
        raise ValueError("gold and predicted must have the same length")
    return score_indices(
        np.array([_INDEX[label] for label in gold], dtype=np.int64),
        np.array([_INDEX[label] for label in predicted], dtype=np.int64),
    )


def score_indices(gold: np.ndarray, predicted: np.ndarray) -> EmotionScores:
    size = len(LABELS)
    confusion = np.bincount(gold * size + predicted, minlength=size * size).reshape(size, size)
    true_positive = np.diag(confusion).astype(np.float64)
    gold_count = confusion.sum(axis=1).astype(np.float64)
    predicted_count = confusion.sum(axis=0).astype(np.float64)
    denominator = gold_count + predicted_count
    f1 = np.divide(2 * true_positive, denominator, out=np.zeros(size), where=denominator > 0)
    present = denominator > 0
    count = int(confusion.sum())
    return EmotionScores(
        count=count,
        accuracy=float(true_positive.sum() / count) if count else 0.0,
        macro_f1=float(f1[present].mean()) if present.any() else 0.0,
        weighted_f1=float((f1 * gold_count).sum() / count) if count else 0.0,
        per_class_f1={label: float(f1[index]) for index, label in enumerate(LABELS)},
        support={label: int(gold_count[index]) for index, label in enumerate(LABELS)},
        confusion=confusion,
    )


def confusion_table(scores: EmotionScores) -> str:
    """The confusion matrix as text, gold labels down the side, predictions across the top."""
    width = max(max(len(label) for label in LABELS), len(str(int(scores.confusion.max(initial=0))))) + 1
    header = "gold \\ predicted".ljust(17) + "".join(label.rjust(width) for label in LABELS)
    lines = [header]
    for index, label in enumerate(LABELS):
        cells = "".join(str(int(value)).rjust(width) for value in scores.confusion[index])
        lines.append(label.ljust(17) + cells)
    return "\n".join(lines)


def summary_lines(scores: EmotionScores) -> list[str]:
    lines = [
        f"n={scores.count}  accuracy={scores.accuracy:.4f}  macro-F1={scores.macro_f1:.4f}  "
        f"weighted-F1={scores.weighted_f1:.4f}",
        "per-class F1: "
        + "  ".join(
            f"{label}={scores.per_class_f1[label]:.3f} (n={scores.support[label]})" for label in LABELS
        ),
    ]
    return lines
