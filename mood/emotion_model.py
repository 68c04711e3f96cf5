"""The served emotion head: frozen MiniLM sentence vectors of a message and its context → 7 probabilities.

No torch at run time: features come from ``mood.encoder`` and the head is a
multinomial logistic layer or a one-hidden-layer MLP evaluated in numpy. The weights file
(``weights/emotion_head.npz``, written by ``manage.py train_emotion``) carries the layers
and a JSON metadata record: label order, feature recipe, training data and counts, seed
and the calibrated combination settings that ``mood.perception`` applies on top.

The file is read once per process on first use (never at import), under a lock.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from mood.encoder import DIMENSIONS, embed_recent

from .labels import LABELS

WEIGHTS_PATH = Path(__file__).resolve().parent / "weights" / "emotion_head.npz"
FORMAT_VERSION = 1
# Which vectors make the feature row. "last" is the previous turn, "earlier" the one before it;
# "product" is the element-wise product of text and last turn (their cosine, spread over dims);
# "pair" embeds the previous turn and the message as one text.
RECIPES: dict[str, tuple[str, ...]] = {
    "text": ("text",),
    "text+pair": ("text", "pair", "has_last"),
    "text+pair+last": ("text", "pair", "last", "has_last"),
    "text+last": ("text", "last", "has_last"),
    "text+last+product": ("text", "last", "product", "has_last"),
    "text+last+earlier": ("text", "last", "earlier", "has_last", "has_earlier"),
    "text+last+product+earlier": ("text", "last", "product", "earlier", "has_last", "has_earlier"),
}
# Recent texts and their vectors: a chat turn's context is the listener's previous messages,
# which were embedded when they were the current message.


class EmotionModelUnavailable(RuntimeError):
    """The weights file is missing or not one this code can read (run ``manage.py train_emotion``)."""


@dataclass(frozen=True)
class EmotionHead:
    """Dense layers (weights, bias) with ReLU between them, then softmax over :data:`LABELS`."""

    layers: tuple[tuple[np.ndarray, np.ndarray], ...]
    recipe: str
    metadata: dict[str, Any] = field(default_factory=dict)

    def logits(self, features: np.ndarray) -> np.ndarray:
        hidden = features
        for index, (weights, bias) in enumerate(self.layers):
            hidden = hidden @ weights + bias
            if index < len(self.layers) - 1:
                hidden = np.maximum(hidden, 0.0)
        return hidden

    def proba(self, features: np.ndarray) -> np.ndarray:
        return softmax(self.logits(features))

    def setting(self, name: str, default: float) -> float:
        return float(self.metadata.get("combination", {}).get(name, default))


def softmax(logits: np.ndarray) -> np.ndarray:
    shifted = logits - logits.max(axis=-1, keepdims=True)
    exp = np.exp(shifted)
    return exp / exp.sum(axis=-1, keepdims=True)


def feature_width(recipe: str) -> int:
    return sum(1 if part.startswith("has_") else DIMENSIONS for part in _recipe_parts(recipe))


def pair_text(text: str, context: Sequence[str]) -> str:
    """The previous turn and the message as one text, so MiniLM reads the message in context."""
    return f"{context[-1]} {text}" if context else text


def strings_needed(recipe: str, texts: Sequence[str], contexts: Sequence[Sequence[str]]) -> list[str]:
    """Distinct texts whose vectors the features of these messages use under ``recipe``."""
    parts = _recipe_parts(recipe)
    needed = dict.fromkeys(texts)
    for text, context in zip(texts, contexts, strict=True):
        if "last" in parts or "product" in parts:
            needed.update(dict.fromkeys(context[-1:]))
        if "earlier" in parts:
            needed.update(dict.fromkeys(context[-2:-1]))
        if "pair" in parts:
            needed[pair_text(text, context)] = None
    return list(needed)


def build_features(
    recipe: str, texts: Sequence[str], contexts: Sequence[Sequence[str]], vector_of: dict[str, np.ndarray]
) -> np.ndarray:
    """One feature row per message; ``vector_of`` holds the vectors of ``strings_needed``.

    A missing context turn is a zero vector, flagged by the ``has_*`` columns.
    """
    zero = np.zeros(DIMENSIONS, dtype=np.float32)

    def stack(vectors: list[np.ndarray]) -> np.ndarray:
        return np.stack(vectors) if vectors else np.zeros((0, DIMENSIONS), np.float32)

    def column(part: str) -> np.ndarray:
        if part == "text":
            return stack([vector_of[text] for text in texts])
        if part == "last":
            return stack([vector_of[c[-1]] if c else zero for c in contexts])
        if part == "earlier":
            return stack([vector_of[c[-2]] if len(c) >= 2 else zero for c in contexts])
        if part == "product":
            return column("text") * column("last")
        if part == "pair":
            return stack([vector_of[pair_text(t, c)] for t, c in zip(texts, contexts, strict=True)])
        turns = 1 if part == "has_last" else 2
        return np.array([[len(c) >= turns] for c in contexts], dtype=np.float32).reshape(-1, 1)

    return np.hstack([column(part) for part in _recipe_parts(recipe)]).astype(np.float32)


def predict_proba(
    texts: Sequence[str], contexts: Sequence[Sequence[str]] | None = None, head: EmotionHead | None = None
) -> np.ndarray:
    """Head probabilities, shape (len(texts), 7) in :data:`LABELS` order; contexts are oldest first."""
    contexts = contexts if contexts is not None else [()] * len(texts)
    if len(contexts) != len(texts):
        raise ValueError("texts and contexts must have the same length")
    head = head or load_head()
    if not texts:
        return np.zeros((0, len(LABELS)), dtype=np.float32)
    vector_of = embed_recent(strings_needed(head.recipe, texts, contexts))
    return head.proba(build_features(head.recipe, texts, contexts, vector_of))


def save_head(head: EmotionHead, path: str | Path) -> Path:
    """Write the layers as float16 (the file stays small; scores move by < 1e-3) and the metadata."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    arrays: dict[str, np.ndarray] = {}
    for index, (weights, bias) in enumerate(head.layers):
        arrays[f"weights_{index}"] = weights.astype(np.float16)
        arrays[f"bias_{index}"] = bias.astype(np.float16)
    metadata = {**head.metadata, "format": FORMAT_VERSION, "labels": list(LABELS), "recipe": head.recipe}
    arrays["metadata"] = np.array(json.dumps(metadata, sort_keys=True))
    with path.open("wb") as handle:
        np.savez_compressed(handle, **arrays)  # type: ignore[arg-type]  # numpy's stub reads **kwds as allow_pickle
    return path


def read_head(path: str | Path) -> EmotionHead:
    """The head stored at ``path``; raises EmotionModelUnavailable when it is absent or unreadable."""
    path = Path(path)
    if not path.is_file():
        raise EmotionModelUnavailable(f"no emotion weights at {path}: run manage.py train_emotion")
    with np.load(path, allow_pickle=False) as data:
        metadata = json.loads(str(data["metadata"]))
        if metadata.get("format") != FORMAT_VERSION or tuple(metadata.get("labels", ())) != LABELS:
            raise EmotionModelUnavailable(f"{path} was written for another label order or format")
        layers = []
        index = 0
        while f"weights_{index}" in data:
            layers.append(
                (data[f"weights_{index}"].astype(np.float32), data[f"bias_{index}"].astype(np.float32))
            )
            index += 1
    recipe = metadata["recipe"]
    if recipe not in RECIPES or layers[0][0].shape[0] != feature_width(recipe):
        raise EmotionModelUnavailable(f"{path}: unknown recipe {recipe!r} or wrong input width")
    return EmotionHead(tuple(layers), recipe, metadata)


_head_lock = threading.Lock()
_heads: dict[Path, EmotionHead] = {}


def load_head(path: str | Path = WEIGHTS_PATH) -> EmotionHead:
    """The head at ``path``, read once per process; later calls return the same object."""
    key = Path(path).resolve()
    head = _heads.get(key)
    if head is None:
        with _head_lock:
            head = _heads.get(key)
            if head is None:
                head = read_head(key)
                _heads[key] = head
    return head


def _recipe_parts(recipe: str) -> tuple[str, ...]:
    try:
        return RECIPES[recipe]
    except KeyError:
        raise ValueError(f"unknown feature recipe {recipe!r}; known: {', '.join(RECIPES)}") from None
