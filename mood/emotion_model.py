"""The served emotion model: a fine-tuned MiniLM (int8 ONNX) and a linear head over a message and its context.

No torch at run time. ``weights/emotion_encoder.int8.onnx`` is all-MiniLM-L6-v2 fine-tuned end
to end for the seven labels (``manage.py train_emotion``): token ids → the masked mean of its
last hidden layer, one 384-d vector per text. ``weights/emotion_head.npz`` holds the linear
layer over [message, previous turn, the turn before, has-previous, has-earlier] and a JSON
metadata record: label order, how it was trained, the encoder file's digest and the calibrated
settings ``mood.perception`` applies on top.

Each text is encoded alone, so a turn's context costs nothing new: the listener's previous
messages were encoded when they were the current one and are kept (``emotion_vectors``).
A chat message costs one short forward pass (one intra-op thread, so it can run beside the
sentence encoder's own pass over the same message: ``mood.perception.mood_from_text``).

Texts go through :func:`emotion_text` first, in training and in serving alike: the WordPiece
vocabulary has no emoji and little slang, so a few common ones become words.

Both files are read once per process on first use (never at import), under a lock.
"""

from __future__ import annotations

import functools
import hashlib
import json
import re
import threading
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from mood.encoder import DIMENSIONS, _tokenizer_path
from mood.encoder_build import ensure_fused_copy

from .emotion_data import normalise_text
from .labels import LABELS

if TYPE_CHECKING:
    import onnxruntime
    from tokenizers import Tokenizer

WEIGHTS_DIR = Path(__file__).resolve().parent / "weights"
WEIGHTS_PATH = WEIGHTS_DIR / "emotion_head.npz"
ENCODER_PATH = WEIGHTS_DIR / "emotion_encoder.int8.onnx"
FORMAT_VERSION = 2
# Chat messages are short; MELD's longest utterances and most GoEmotions comments fit in 64.
MAX_TOKENS = 64
CONTEXT_TURNS = 2
# One thread: a chat message's pass runs beside the sentence encoder's (two cores in all).
INTRA_OP_THREADS = 1
BATCH_SIZE = 32
# Which vectors make the feature row: "last" is the previous turn, "earlier" the one before it.
RECIPES: dict[str, tuple[str, ...]] = {
    "text": ("text",),
    "text+last": ("text", "last", "has_last"),
    "text+last+earlier": ("text", "last", "earlier", "has_last", "has_earlier"),
}


class EmotionModelUnavailable(RuntimeError):
    """A weights file is missing or not one this code can read (run ``manage.py train_emotion``)."""


# --- what the model reads ------------------------------------------------------------------------

# Emoji the vocabulary lacks, as the word a person would use. A run of one emoji ("😢😢😢") is
# one word: repetition stresses a feeling, which the model reads from the word anyway.
EMOJI_WORDS: dict[str, str] = {
    "😢": "crying",
    "😭": "crying",
    "😿": "crying",
    "🥺": "sad",
    "😞": "sad",
    "😔": "sad",
    "😟": "worried",
    "🙁": "sad",
    "☹": "sad",
    "💔": "heartbroken",
    "😂": "laughing",
    "🤣": "laughing",
    "😆": "laughing",
    "😄": "happy",
    "😃": "happy",
    "😀": "happy",
    "😁": "happy",
    "😊": "happy",
    "🙂": "happy",
    "🥰": "love",
    "😍": "love",
    "❤": "love",
    "💕": "love",
    "🥳": "celebrating",
    "🎉": "celebrating",
    "😡": "angry",
    "😠": "angry",
    "🤬": "furious",
    "😤": "annoyed",
    "😱": "terrified",
    "😨": "scared",
    "😰": "anxious",
    "😬": "nervous",
    "😳": "shocked",
    "😮": "surprised",
    "😲": "surprised",
    "🤯": "mind blown",
    "🤢": "disgusted",
    "🤮": "disgusted",
    "🙄": "annoyed",
    "😐": "meh",
    "😑": "meh",
    "😴": "sleepy",
}
_EMOJI_RUN = re.compile("(" + "|".join(re.escape(emoji) for emoji in EMOJI_WORDS) + r")(?:\1|\ufe0f)*")
# Slang and chat shorthand, as plain words (whole words, case-insensitive).
SLANG_WORDS: dict[str, str] = {
    "lol": "haha",
    "lmao": "haha",
    "lmfao": "haha",
    "rofl": "haha",
    "slaps": "is so good",
    "bangs": "is so good",
    "bussin": "so good",
    "vibing": "enjoying it",
    "omg": "oh my god",
    "wtf": "what the hell",
    "ffs": "for god's sake",
    "fml": "my life sucks",
    "smh": "shaking my head",
    "ngl": "not gonna lie",
    "tbh": "to be honest",
    "idk": "I don't know",
    "rn": "right now",
    "mid": "mediocre",
    "im": "I'm",
    "u": "you",
    "ur": "your",
}
_SLANG = re.compile(r"\b(" + "|".join(SLANG_WORDS) + r")\b", re.IGNORECASE)


def emotion_text(text: str) -> str:
    """The text as the model reads it: normalised, emoji and slang as words (see the tables above)."""
    text = _EMOJI_RUN.sub(lambda match: f" {EMOJI_WORDS[match.group(1)]} ", text)
    text = _SLANG.sub(lambda match: SLANG_WORDS[match.group(1).lower()], text)
    return normalise_text(text.replace("\ufe0f", ""))


# --- the head ------------------------------------------------------------------------------------


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


def strings_needed(recipe: str, texts: Sequence[str], contexts: Sequence[Sequence[str]]) -> list[str]:
    """Distinct texts whose vectors the features of these messages use under ``recipe``."""
    parts = _recipe_parts(recipe)
    needed = dict.fromkeys(texts)
    for context in contexts:
        if "last" in parts:
            needed.update(dict.fromkeys(context[-1:]))
        if "earlier" in parts:
            needed.update(dict.fromkeys(context[-2:-1]))
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
        turns = 1 if part == "has_last" else 2
        return np.array([[len(c) >= turns] for c in contexts], dtype=np.float32).reshape(-1, 1)

    return np.hstack([column(part) for part in _recipe_parts(recipe)]).astype(np.float32)


def predict_proba(
    texts: Sequence[str], contexts: Sequence[Sequence[str]] | None = None, head: EmotionHead | None = None
) -> np.ndarray:
    """Model probabilities, shape (len(texts), 7) in :data:`LABELS` order; contexts are oldest first."""
    contexts = contexts if contexts is not None else [()] * len(texts)
    if len(contexts) != len(texts):
        raise ValueError("texts and contexts must have the same length")
    head = head or load_head()
    if not texts:
        return np.zeros((0, len(LABELS)), dtype=np.float32)
    encoder_path = Path(head.metadata.get("encoder_path", ENCODER_PATH))
    vector_of = emotion_vectors(strings_needed(head.recipe, texts, contexts), encoder_path)
    return head.proba(build_features(head.recipe, texts, contexts, vector_of))


def save_head(head: EmotionHead, path: str | Path) -> Path:
    """Write the layers (float32: the file stays under 20 KiB) and the metadata."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    arrays: dict[str, np.ndarray] = {}
    for index, (weights, bias) in enumerate(head.layers):
        arrays[f"weights_{index}"] = weights.astype(np.float32)
        arrays[f"bias_{index}"] = bias.astype(np.float32)
    metadata = {**head.metadata, "format": FORMAT_VERSION, "labels": list(LABELS), "recipe": head.recipe}
    metadata.pop("encoder_path", None)
    arrays["metadata"] = np.array(json.dumps(metadata, sort_keys=True))
    with path.open("wb") as handle:
        np.savez_compressed(handle, **arrays)  # type: ignore[arg-type]  # numpy's stub reads **kwds as allow_pickle
    return path


def read_head(path: str | Path, encoder: str | Path | None = None) -> EmotionHead:
    """The head stored at ``path``, for the encoder beside it (or ``encoder``).

    Raises EmotionModelUnavailable when either file is absent, or the head is unreadable or was
    trained with another encoder file (their digests disagree).
    """
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
    encoder_path = Path(encoder) if encoder else path.parent / metadata.get("encoder", ENCODER_PATH.name)
    expected = metadata.get("encoder_sha256")
    if expected and _digest(encoder_path) != expected:
        raise EmotionModelUnavailable(f"{encoder_path} is not the encoder {path} was trained with")
    return EmotionHead(tuple(layers), recipe, {**metadata, "encoder_path": str(encoder_path)})


_digests: dict[Path, str] = {}


def _digest(path: Path) -> str:
    """The file's SHA-256 (read once per process), or raises EmotionModelUnavailable."""
    key = _resolved(path)
    if key not in _digests:
        if not key.is_file():
            raise EmotionModelUnavailable(f"no emotion encoder at {path}: run manage.py train_emotion")
        _digests[key] = hashlib.sha256(key.read_bytes()).hexdigest()
    return _digests[key]


@functools.lru_cache(maxsize=64)
def _resolved(path: str | Path) -> Path:
    """``path`` made absolute, once: resolving calls lstat on every folder, several times a turn."""
    return Path(path).resolve()


def file_digest(path: str | Path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


_head_lock = threading.Lock()
_heads: dict[Path, EmotionHead] = {}


def load_head(path: str | Path = WEIGHTS_PATH) -> EmotionHead:
    """The head at ``path``, read once per process; later calls return the same object."""
    key = _resolved(path)
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


# --- the encoder ---------------------------------------------------------------------------------

_session_lock = threading.Lock()
_sessions: dict[Path, onnxruntime.InferenceSession] = {}


def _session(path: Path) -> onnxruntime.InferenceSession:
    key = _resolved(path)
    loaded = _sessions.get(key)
    if loaded is not None:
        return loaded
    with _session_lock:
        if key not in _sessions:
            if not key.is_file():
                raise EmotionModelUnavailable(f"no emotion encoder at {path}: run manage.py train_emotion")
            # On first use: processes that never read a mood skip onnxruntime's import.
            import onnxruntime as ort

            options = ort.SessionOptions()
            options.intra_op_num_threads = INTRA_OP_THREADS
            options.inter_op_num_threads = 1
            options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
            options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
            options.log_severity_level = 3
            options.add_session_config_entry("session.intra_op.allow_spinning", "0")
            # The committed encoder is served from its attention-fused copy (same outputs, a
            # tenth less CPU a pass: mood.encoder_build); other files, as they are.
            served = ensure_fused_copy(key, _digest(key)) if key == _resolved(ENCODER_PATH) else key
            session = ort.InferenceSession(
                str(served), sess_options=options, providers=["CPUExecutionProvider"]
            )
            _sessions[key] = session
    return _sessions[key]


def token_ids(texts: Sequence[str]) -> list[list[int]]:
    """WordPiece ids ([CLS] … [SEP], at most :data:`MAX_TOKENS`) of each text after :func:`emotion_text`.

    The same tokenizer file as the sentence encoder; training uses this function too.
    """
    return [encoding.ids for encoding in _tokenizer().encode_batch([emotion_text(text) for text in texts])]


_tokenizers: list[Tokenizer] = []


def _tokenizer() -> Tokenizer:
    if not _tokenizers:
        with _session_lock:
            if not _tokenizers:
                # Deferred like onnxruntime: tokenizers is only needed once a mood is read.
                from tokenizers import Tokenizer

                tokenizer = Tokenizer.from_file(str(_tokenizer_path()))
                tokenizer.enable_truncation(max_length=MAX_TOKENS)
                tokenizer.no_padding()
                _tokenizers.append(tokenizer)
    return _tokenizers[0]


def encode_ids(ids: Sequence[Sequence[int]], path: str | Path = ENCODER_PATH) -> np.ndarray:
    """The encoder's pooled vectors, shape (len(ids), 384), in batches sorted by length."""
    session = _session(Path(path))
    vectors = np.zeros((len(ids), DIMENSIONS), dtype=np.float32)
    order = sorted(range(len(ids)), key=lambda index: len(ids[index]))
    for start in range(0, len(order), BATCH_SIZE):
        chunk = order[start : start + BATCH_SIZE]
        batch = np.zeros((len(chunk), max(len(ids[index]) for index in chunk)), dtype=np.int64)
        mask = np.zeros_like(batch)
        for row, index in enumerate(chunk):
            batch[row, : len(ids[index])] = ids[index]
            mask[row, : len(ids[index])] = 1
        pooled = session.run(["pooled"], {"input_ids": batch, "attention_mask": mask})[0]
        vectors[chunk] = np.asarray(pooled, dtype=np.float32)
    return vectors


RECENT_CACHE_SIZE = 512
_recent_lock = threading.Lock()
_recent: OrderedDict[tuple[Path, str], np.ndarray] = OrderedDict()


def emotion_vectors(texts: Sequence[str], path: str | Path = ENCODER_PATH) -> dict[str, np.ndarray]:
    """Text → the encoder's vector, encoding only texts not seen lately (one batch for the rest).

    A turn's context is the listener's previous messages, encoded when each was the current
    message: kept here (the last few hundred texts), they cost nothing the next turns. Big
    batches (evaluation, calibration) pass through without evicting a conversation's turns.
    """
    key = _resolved(path)
    found: dict[str, np.ndarray] = {}
    with _recent_lock:
        for text in texts:
            if (key, text) in _recent:
                _recent.move_to_end((key, text))
                found[text] = _recent[(key, text)]
    missing = list(dict.fromkeys(text for text in texts if text not in found))
    if missing:
        vectors = encode_ids(token_ids(missing), key)
        vectors.setflags(write=False)
        found.update(zip(missing, vectors, strict=True))
        if len(missing) <= RECENT_CACHE_SIZE // 4:
            with _recent_lock:
                for text, vector in zip(missing, vectors, strict=True):
                    _recent[(key, text)] = vector
                while len(_recent) > RECENT_CACHE_SIZE:
                    _recent.popitem(last=False)
    return found
