"""Training the emotion head in numpy: data split, cached embeddings, fit, calibration.

Training only; nothing here runs in a chat turn. Reproducible by construction: the held-out
split, minibatch order and initial weights all come from one seed, and the embeddings of a
text are cached (``.local/cache/emotion``), so the same inputs and seed give the same weights.

Choices, and why:
- class weights of sqrt(inverse frequency) (normalised to mean 1): neutral and joy dominate
  both corpora; full inverse frequency over-predicts fear and disgust, sqrt helps macro-F1.
- early stopping and every calibrated setting use a held-out slice of *training* data
  (whole MELD dialogues and GoEmotions comments); MELD dev and GoEmotions test stay untouched
  for the final figures.
"""

from __future__ import annotations

import hashlib
import json
import random
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
from django.conf import settings

from mood.encoder import DIMENSIONS, MODEL_ID, embed_texts

from .emotion_data import EmotionExample
from .emotion_metrics import EmotionScores, score_indices
from .emotion_model import (
    EmotionHead,
    build_features,
    softmax,
    strings_needed,
)
from .labels import LABELS
from .perception import combine, lexicon_evidence, smooth

DEFAULT_CACHE_DIR = Path(settings.BASE_DIR) / ".local" / "cache" / "emotion"
_LABEL_INDEX = {label: index for index, label in enumerate(LABELS)}


# --- embeddings cache -------------------------------------------------------------------------


def cached_embeddings(
    texts: Sequence[str], cache_dir: str | Path = DEFAULT_CACHE_DIR, log: Callable[[str], None] | None = None
) -> dict[str, np.ndarray]:
    """Vectors for distinct texts, embedding only those not in the cache and adding them to it.

    The cache is two files per embedding model: ``texts.json`` (row order) and ``vectors.npy``.
    """
    folder = Path(cache_dir) / MODEL_ID
    texts_file, vectors_file = folder / "texts.json", folder / "vectors.npy"
    known: list[str] = []
    vectors = np.zeros((0, DIMENSIONS), dtype=np.float32)
    if texts_file.is_file() and vectors_file.is_file():
        known = json.loads(texts_file.read_text(encoding="utf-8"))
        vectors = np.load(vectors_file)
        if len(known) != len(vectors):
            known, vectors = [], np.zeros((0, DIMENSIONS), dtype=np.float32)
    row_of = {text: row for row, text in enumerate(known)}
    missing = [text for text in dict.fromkeys(texts) if text not in row_of]
    if missing:
        if log:
            log(f"Embedding {len(missing)} texts not yet in {folder} …")
        fresh = embed_texts(missing)
        for text in missing:
            row_of[text] = len(known)
            known.append(text)
        vectors = np.vstack([vectors, fresh])
        folder.mkdir(parents=True, exist_ok=True)
        # Write the vectors first: a crash between the writes leaves lengths that disagree,
        # which the next run treats as an empty cache rather than as wrong vectors.
        np.save(vectors_file, vectors)
        texts_file.write_text(json.dumps(known, ensure_ascii=False), encoding="utf-8")
    return {text: vectors[row_of[text]] for text in dict.fromkeys(texts)}


# --- split and weights --------------------------------------------------------------------------

# Share of each corpus held out, by whole dialogue (MELD) or comment (GoEmotions).
HELD_OUT_FRACTION = {"meld": 0.2, "goemotions": 0.1}


def held_out_split(
    examples: Sequence[EmotionExample], *, seed: int
) -> tuple[list[EmotionExample], list[EmotionExample]]:
    """(train, held out): each source's groups shuffled with ``seed``, a fixed share held out."""
    held: set[tuple[str, str]] = set()
    for source in sorted({example.source for example in examples}):
        groups = sorted({example.group for example in examples if example.source == source})
        random.Random(f"{seed}:{source}").shuffle(groups)
        share = HELD_OUT_FRACTION.get(source, 0.1)
        held.update((source, group) for group in groups[: round(len(groups) * share)])
    train = [example for example in examples if (example.source, example.group) not in held]
    held_out = [example for example in examples if (example.source, example.group) in held]
    return train, held_out


def class_weights(labels: np.ndarray, weights: np.ndarray, power: float) -> np.ndarray:
    """(inverse frequency) ** power per label, scaled so the weighted average example weighs 1."""
    counts = np.bincount(labels, weights=weights, minlength=len(LABELS))
    raw = np.where(counts > 0, (counts.sum() / np.clip(counts, 1e-9, None)) ** power, 0.0)
    return raw / ((raw * counts).sum() / counts.sum())


# --- the head -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class HeadConfig:
    # The defaults are the variant that won on the held-out slice (see ARCHITECTURE notes in the
    # commit): previous turn + message embedded as one text, one hidden layer, MELD counted twice.
    recipe: str = "text+pair"
    hidden: int = 256  # 0: multinomial logistic; otherwise one ReLU layer of this width
    l2: float = 1e-4
    learning_rate: float = 1e-3
    batch_size: int = 256
    max_epochs: int = 60
    patience: int = 5
    class_weight_power: float = 0.5
    meld_weight: float = 2.0  # MELD is the conversational corpus; > 1 leans the head towards it
    seed: int = 7  # initial weights and minibatch order
    # The held-out slice has its own seed, so variants and seeds are compared on the same slice.
    split_seed: int = 0


Layers = list[tuple[np.ndarray, np.ndarray]]


def fit_head(
    features: np.ndarray,
    labels: np.ndarray,
    weights: np.ndarray,
    held_features: np.ndarray,
    held_labels: np.ndarray,
    held_weights: np.ndarray,
    config: HeadConfig,
    log: Callable[[str], None] | None = None,
) -> tuple[Layers, dict[str, float]]:
    """Adam on weighted cross-entropy + L2; keeps the epoch with the lowest held-out loss.

    Returns the layers and {"epochs": trained, "best_epoch": kept, "held_out_loss": its loss}.
    """
    rng = np.random.default_rng(config.seed)
    layers = _initial_layers(features.shape[1], config.hidden, rng)
    moments = [[np.zeros_like(part) for part in layer] for layer in layers]
    squares = [[np.zeros_like(part) for part in layer] for layer in layers]
    best = (_loss(layers, held_features, held_labels, held_weights), _copy(layers))
    best_epoch, step, epoch = 0, 0, 0
    for epoch in range(1, config.max_epochs + 1):
        order = rng.permutation(len(labels))
        for start in range(0, len(order), config.batch_size):
            batch = order[start : start + config.batch_size]
            step += 1
            grads = _gradients(layers, features[batch], labels[batch], weights[batch], config.l2)
            _adam_step(layers, grads, moments, squares, step, config.learning_rate)
        loss = _loss(layers, held_features, held_labels, held_weights)
        if log:
            log(f"  epoch {epoch:2d}: held-out loss {loss:.4f}")
        if loss < best[0] - 1e-5:
            best = (loss, _copy(layers))
            best_epoch = epoch
        elif epoch - best_epoch >= config.patience:
            break
    kept = [(weights_.astype(np.float32), bias.astype(np.float32)) for weights_, bias in best[1]]
    return kept, {"epochs": epoch, "best_epoch": best_epoch, "held_out_loss": round(float(best[0]), 5)}


def _copy(layers: Sequence[Sequence[np.ndarray]]) -> list[list[np.ndarray]]:
    return [[part.copy() for part in layer] for layer in layers]


def _initial_layers(width: int, hidden: int, rng: np.random.Generator) -> list[list[np.ndarray]]:
    classes = len(LABELS)
    if hidden <= 0:
        return [[np.zeros((width, classes), np.float32), np.zeros(classes, np.float32)]]
    return [
        [
            (rng.standard_normal((width, hidden)) * np.sqrt(2.0 / width)).astype(np.float32),
            np.zeros(hidden, np.float32),
        ],
        [
            (rng.standard_normal((hidden, classes)) * np.sqrt(1.0 / hidden)).astype(np.float32),
            np.zeros(classes, np.float32),
        ],
    ]


def _forward(layers: Sequence[Sequence[np.ndarray]], features: np.ndarray) -> list[np.ndarray]:
    """Activations: the input, each hidden layer after ReLU, and the output logits."""
    activations = [features]
    for index, (weights, bias) in enumerate(layers):
        out = activations[-1] @ weights + bias
        activations.append(np.maximum(out, 0.0) if index < len(layers) - 1 else out)
    return activations


def _loss(
    layers: Sequence[Sequence[np.ndarray]], features: np.ndarray, labels: np.ndarray, weights: np.ndarray
) -> float:
    proba = softmax(_forward(layers, features)[-1])
    picked = np.clip(proba[np.arange(len(labels)), labels], 1e-12, None)
    return float(-(weights * np.log(picked)).sum() / weights.sum())


def _gradients(
    layers: Sequence[Sequence[np.ndarray]],
    features: np.ndarray,
    labels: np.ndarray,
    weights: np.ndarray,
    l2: float,
) -> list[list[np.ndarray]]:
    activations = _forward(layers, features)
    delta = softmax(activations[-1])
    delta[np.arange(len(labels)), labels] -= 1.0
    delta *= (weights / weights.sum())[:, None]
    grads: list[list[np.ndarray]] = []
    for index in range(len(layers) - 1, -1, -1):
        weights_, _ = layers[index]
        grads.append([activations[index].T @ delta + l2 * weights_, delta.sum(axis=0)])
        if index:
            delta = (delta @ weights_.T) * (activations[index] > 0)
    return grads[::-1]


def _adam_step(
    layers: list[list[np.ndarray]],
    grads: list[list[np.ndarray]],
    moments: list[list[np.ndarray]],
    squares: list[list[np.ndarray]],
    step: int,
    learning_rate: float,
    beta1: float = 0.9,
    beta2: float = 0.999,
) -> None:
    correction = learning_rate * np.sqrt(1 - beta2**step) / (1 - beta1**step)
    for layer, grad, moment, square in zip(layers, grads, moments, squares, strict=True):
        for part in range(len(layer)):
            moment[part] = beta1 * moment[part] + (1 - beta1) * grad[part]
            square[part] = beta2 * square[part] + (1 - beta2) * grad[part] ** 2
            layer[part] -= (correction * moment[part] / (np.sqrt(square[part]) + 1e-8)).astype(np.float32)


# --- calibration of the served combination ------------------------------------------------------

LEXICON_WEIGHTS = (0.5, 1.0, 1.5, 2.0, 3.0, 4.0, 5.0, 6.0, 8.0)
NEUTRAL_BIASES = tuple(round(value, 2) for value in np.arange(-1.0, 2.01, 0.25))
# No zero: the served mood must not flip on every neutral-sounding message (a product choice;
# MELD, where the previous turn is often someone else's, would not ask for it).
SMOOTHINGS = (0.15, 0.3, 0.45, 0.6)


@dataclass(frozen=True)
class HeldOutScores:
    """What the calibration sees for each held-out message: head probabilities and mood-word evidence,
    for the message and for its previous turn (rows of zeros where there is none)."""

    labels: np.ndarray
    is_meld: np.ndarray
    head_now: np.ndarray
    evidence_now: np.ndarray
    head_previous: np.ndarray
    evidence_previous: np.ndarray
    has_previous: np.ndarray


def served_proba(
    scores: HeldOutScores, lexicon_weight: float, neutral_bias: float, smoothing: float
) -> np.ndarray:
    """The served model's probabilities for the held-out messages under these settings."""
    now = combine(
        scores.head_now, scores.evidence_now, lexicon_weight=lexicon_weight, neutral_bias=neutral_bias
    )
    previous = combine(
        scores.head_previous,
        scores.evidence_previous,
        lexicon_weight=lexicon_weight,
        neutral_bias=neutral_bias,
    )
    previous *= scores.has_previous[:, None]
    return smooth(now, previous, smoothing)


def calibration_objective(scores: HeldOutScores, predicted: np.ndarray) -> tuple[float, float, float]:
    """(objective, MELD weighted-F1, GoEmotions weighted-F1) on the held-out slice.

    The objective is MELD's weighted-F1: MELD is conversation, which chat is; GoEmotions is
    printed beside it so a setting that wrecks it is visible.
    """
    meld = score_indices(scores.labels[scores.is_meld], predicted[scores.is_meld]).weighted_f1
    others = ~scores.is_meld
    goemotions = score_indices(scores.labels[others], predicted[others]).weighted_f1 if others.any() else 0.0
    return (meld if scores.is_meld.any() else goemotions), meld, goemotions


def calibrate(scores: HeldOutScores) -> tuple[dict[str, float], tuple[float, float, float]]:
    """The grid point (lexicon weight, neutral bias, smoothing) with the best held-out objective.

    Ties go to the earlier grid point, so the result does not depend on float noise ordering.
    """
    best: tuple[float, ...] = (-1.0,)
    chosen: dict[str, float] = {}
    for lexicon_weight in LEXICON_WEIGHTS:
        for neutral_bias in NEUTRAL_BIASES:
            for smoothing in SMOOTHINGS:
                predicted = served_proba(scores, lexicon_weight, neutral_bias, smoothing).argmax(axis=1)
                figures = calibration_objective(scores, predicted)
                if figures[0] > best[0] + 1e-9:
                    best = figures
                    chosen = {
                        "lexicon_weight": lexicon_weight,
                        "neutral_bias": neutral_bias,
                        "smoothing": smoothing,
                    }
    return chosen, (best[0], best[1], best[2])


# --- the whole run ------------------------------------------------------------------------------


@dataclass
class TrainingResult:
    head: EmotionHead
    figures: dict[str, object]


def train_emotion_head(
    examples: Sequence[EmotionExample],
    config: HeadConfig,
    *,
    cache_dir: str | Path = DEFAULT_CACHE_DIR,
    sources: dict[str, str] | None = None,
    log: Callable[[str], None] | None = None,
) -> TrainingResult:
    """Split, embed (cached), fit, calibrate; the head's metadata records how it was made."""
    say = log or (lambda _message: None)
    train, held_out = held_out_split(examples, seed=config.split_seed)
    if not train or not held_out:
        raise ValueError("need examples both to train on and to hold out (more data, or a larger --limit)")
    previous_texts, previous_contexts = _previous_turns(held_out)
    needed = strings_needed(
        config.recipe,
        [e.text for e in examples] + previous_texts,
        [e.context for e in examples] + previous_contexts,
    )
    vector_of = cached_embeddings(needed, cache_dir, log=say)

    def matrix(rows: Sequence[EmotionExample]) -> np.ndarray:
        return build_features(config.recipe, [e.text for e in rows], [e.context for e in rows], vector_of)

    labels = np.array([_LABEL_INDEX[e.label] for e in train], dtype=np.int64)
    held_labels = np.array([_LABEL_INDEX[e.label] for e in held_out], dtype=np.int64)
    base = np.array([e.weight * (config.meld_weight if e.source == "meld" else 1.0) for e in train])
    per_class = class_weights(labels, base, config.class_weight_power)
    held_base = np.array([e.weight * (config.meld_weight if e.source == "meld" else 1.0) for e in held_out])
    say(f"Training on {len(train)}, holding out {len(held_out)} ({config.recipe}, hidden={config.hidden}) …")
    layers, history = fit_head(
        matrix(train),
        labels,
        base * per_class[labels],
        matrix(held_out),
        held_labels,
        held_base * per_class[held_labels],
        config,
        log=say,
    )
    # Rounded as the weights file stores them, so the figures below are the served model's.
    layers = [
        (w.astype(np.float16).astype(np.float32), b.astype(np.float16).astype(np.float32)) for w, b in layers
    ]
    head = EmotionHead(tuple(layers), config.recipe)

    train_scores = score_indices(labels, head.proba(matrix(train)).argmax(axis=1))
    held = _held_out_scores(head, held_out, previous_texts, previous_contexts, vector_of)
    head_only = calibration_objective(held, held.head_now.argmax(axis=1))
    combination, served = calibrate(held)
    served_predicted = served_proba(held, **combination).argmax(axis=1)
    figures: dict[str, object] = {
        "train": _brief(train_scores),
        "held_out_head": {
            "meld_weighted_f1": round(head_only[1], 4),
            "goemotions_weighted_f1": round(head_only[2], 4),
        },
        "held_out_served": {
            "meld_weighted_f1": round(served[1], 4),
            "goemotions_weighted_f1": round(served[2], 4),
            **_brief(score_indices(held.labels, served_predicted), prefix="all_"),
        },
        **history,
    }
    metadata = {
        "config": asdict(config),
        "seed": config.seed,
        "embedding_model": MODEL_ID,
        "training_data": {
            "sources": sources or {},
            "examples": _counts(examples),
            "train": _counts(train),
            "held_out": _counts(held_out),
            "multi_label": "split: a row with k labels is k examples of weight 1/k",
        },
        "class_weights": {
            label: round(float(value), 4) for label, value in zip(LABELS, per_class, strict=True)
        },
        "combination": combination,
        "figures": figures,
        "data_digest": _digest(examples),
    }
    return TrainingResult(EmotionHead(tuple(layers), config.recipe, metadata), figures)


def _previous_turns(examples: Sequence[EmotionExample]) -> tuple[list[str], list[tuple[str, ...]]]:
    with_context = [e for e in examples if e.context]
    return [e.context[-1] for e in with_context], [e.context[:-1] for e in with_context]


def _held_out_scores(
    head: EmotionHead,
    held_out: Sequence[EmotionExample],
    previous_texts: list[str],
    previous_contexts: list[tuple[str, ...]],
    vector_of: dict[str, np.ndarray],
) -> HeldOutScores:
    texts = [e.text for e in held_out]
    head_now = head.proba(build_features(head.recipe, texts, [e.context for e in held_out], vector_of))
    has_previous = np.array([bool(e.context) for e in held_out])
    head_previous = np.full((len(held_out), len(LABELS)), 1.0 / len(LABELS))
    evidence_previous = np.zeros((len(held_out), len(LABELS)))
    if previous_texts:
        head_previous[has_previous] = head.proba(
            build_features(head.recipe, previous_texts, previous_contexts, vector_of)
        )
        evidence_previous[has_previous] = [lexicon_evidence(text) for text in previous_texts]
    return HeldOutScores(
        labels=np.array([_LABEL_INDEX[e.label] for e in held_out], dtype=np.int64),
        is_meld=np.array([e.source == "meld" for e in held_out]),
        head_now=head_now,
        evidence_now=np.array([lexicon_evidence(text) for text in texts]).reshape(len(texts), len(LABELS)),
        head_previous=head_previous,
        evidence_previous=evidence_previous,
        has_previous=has_previous.astype(np.float64),
    )


def _brief(scores: EmotionScores, prefix: str = "") -> dict[str, float]:
    return {
        f"{prefix}accuracy": round(scores.accuracy, 4),
        f"{prefix}macro_f1": round(scores.macro_f1, 4),
        f"{prefix}weighted_f1": round(scores.weighted_f1, 4),
    }


def _counts(examples: Sequence[EmotionExample]) -> dict[str, object]:
    by_source: dict[str, int] = {}
    by_label: dict[str, float] = {}
    for example in examples:
        by_source[example.source] = by_source.get(example.source, 0) + 1
        by_label[example.label] = by_label.get(example.label, 0.0) + example.weight
    return {"by_source": by_source, "by_label": {k: round(v, 2) for k, v in sorted(by_label.items())}}


def _digest(examples: Sequence[EmotionExample]) -> str:
    """A fingerprint of the training inputs, so two weight files can be traced to the same data."""
    digest = hashlib.sha256()
    for example in examples:
        digest.update(json.dumps([example.text, example.context, example.label, example.weight]).encode())
    return digest.hexdigest()[:16]
