"""Track mood: how a track feels, as people label it — happy, sad, calm or energetic.

People's words for music moods do not sit where a hand-placed valence/energy target puts
them: in human-labelled data (``moods_dev``) *calm* tracks have the lowest Spotify valence of
all (mean 0.16, energy 0.17, acousticness 0.9), below *sad* ones (0.25, 0.39). So a track's
mood is learned from labels, from every signal the track has:

- **audio features** (when the catalog has them; the 2026 Web API serves none): a softmax
  regression over nine features, trained on the human labels;
- **what is known without them**: title, artists, album, genre and subgenre, the names of
  the playlists it is in, lyrics mood words — one short *signal text*, embedded with the
  sentence encoder — plus duration, release year and popularity. A second softmax
  regression reads those; it learns from the human labels and from the demo catalog's
  tracks labelled by the feature model (distillation), which is how genre and playlist
  names ("Chill Lofi Study Beats", "Hardstyle Bangers") come to carry mood.

Both models are plain numpy, trained by ``manage.py train_track_mood`` and shipped as
``weights/track_mood.npz``. The recommender adds what only the database knows (the artist's
other tracks, playlist mates, listeners' feedback) with :func:`mood_blend`.

The model also learns where each mood sits in Spotify's valence/energy square (the mean of
its labelled tracks) and a distribution per catalog playlist name; the listening target
(``mood.target``) reads both, so a request is aimed at moods as people label them.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, get_args

import numpy as np

TrackMood = Literal["happy", "sad", "calm", "energetic"]
TRACK_MOODS: tuple[str, ...] = get_args(TrackMood)
UNIFORM = np.full(len(TRACK_MOODS), 1.0 / len(TRACK_MOODS))

# Spotify's audio features the feature model reads, in order.
FEATURE_NAMES: tuple[str, ...] = (
    "danceability",
    "acousticness",
    "energy",
    "instrumentalness",
    "liveness",
    "valence",
    "loudness",
    "speechiness",
    "tempo",
)
# Numbers the metadata half of the text model reads; a missing one counts as the training mean.
META_NAMES: tuple[str, ...] = ("log_duration", "release_year", "popularity")
EMBEDDING_SCALE = 5.0  # unit embeddings' components are small; this puts them on the meta's scale
PLAYLIST_NAMES_IN_TEXT = 3
WEIGHTS_PATH = Path(__file__).resolve().parent / "weights" / "track_mood.npz"


class TrackMoodModelMissing(RuntimeError):
    """``weights/track_mood.npz`` is absent: ``manage.py train_track_mood`` builds it."""


def signal_text(
    *,
    name: str,
    artists: Sequence[str] = (),
    album: str = "",
    genre: str = "",
    subgenre: str = "",
    playlists: Sequence[str] = (),
    lyrics_words: Sequence[str] = (),
) -> str:
    """What is known of a track without audio features, in one short line the encoder reads.

    E.g. "Fields Of Blossom by Martèn LeGrand. ambient, meditative. Playlists: Yoga &
    Meditation. Lyrics: calm." Training and serving build it with this one function.
    """
    head = f"{name} by {', '.join(artists)}" if artists else name
    if album and album.strip().lower() != name.strip().lower():
        head += f", from {album}"
    parts = [head]
    genres = ", ".join(dict.fromkeys(word for word in (genre, subgenre) if word))
    if genres:
        parts.append(genres)
    names = list(dict.fromkeys(p for p in playlists if p))[:PLAYLIST_NAMES_IN_TEXT]
    if names:
        parts.append("Playlists: " + ", ".join(names))
    if lyrics_words:
        parts.append("Lyrics: " + ", ".join(lyrics_words))
    return ". ".join(parts) + "."


def meta_row(
    *, duration_ms: int | None, release_date: str = "", popularity: int | None = None
) -> list[float]:
    """(log duration in seconds, release year, popularity), NaN where unknown."""
    year = release_date[:4]
    return [
        math.log(duration_ms / 1000) if duration_ms and duration_ms > 1000 else math.nan,
        float(year) if year.isdigit() else math.nan,
        float(popularity) if popularity is not None else math.nan,
    ]


def feature_row(features: Mapping[str, float | None]) -> list[float] | None:
    """The nine features in order, or None when any is missing (then the text model decides)."""
    values = [features.get(name) for name in FEATURE_NAMES]
    if any(value is None for value in values):
        return None
    return [float(value) for value in values]  # type: ignore[arg-type]


# --- softmax regression ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Softmax:
    """Multinomial logistic regression over standardised inputs (NaN inputs read as the mean)."""

    mean: np.ndarray
    scale: np.ndarray
    weights: np.ndarray  # (inputs, moods)
    bias: np.ndarray

    def probabilities(self, x: np.ndarray) -> np.ndarray:
        z = _standardised(np.atleast_2d(x), self.mean, self.scale) @ self.weights + self.bias
        return _softmax(z)


def _standardised(x: np.ndarray, mean: np.ndarray, scale: np.ndarray) -> np.ndarray:
    return np.nan_to_num((x - mean) / scale, nan=0.0)


def _softmax(z: np.ndarray) -> np.ndarray:
    z = z - z.max(axis=1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=1, keepdims=True)


def softmax_fit(
    x: np.ndarray,
    targets: np.ndarray,
    *,
    sample_weight: np.ndarray | None = None,
    l2: float = 1.0,
    mean: np.ndarray | None = None,
    scale: np.ndarray | None = None,
    iterations: int = 600,
) -> Softmax:
    """Fit by full-batch gradient descent with Nesterov momentum; deterministic.

    ``targets`` are per-row distributions (one-hot for human labels, soft for distilled ones).
    ``mean``/``scale`` default to the columns' own (NaN-aware); pass them to fix a scale.
    """
    x = np.asarray(x, dtype=np.float64)
    targets = np.asarray(targets, dtype=np.float64)
    n, d = x.shape
    weight = np.ones(n) if sample_weight is None else np.asarray(sample_weight, dtype=np.float64)
    weight = weight / weight.sum()
    mean = np.nan_to_num(np.nanmean(x, axis=0)) if mean is None else mean
    scale = np.nan_to_num(np.nanstd(x, axis=0), nan=1.0) if scale is None else scale
    scale = np.where(scale < 1e-9, 1.0, scale)
    xs = _standardised(x, mean, scale)
    w = np.zeros((d, targets.shape[1]))
    b = np.log(np.clip(weight @ targets, 1e-6, None))
    vw, vb = np.zeros_like(w), np.zeros_like(b)
    step, momentum = 0.5, 0.9
    for _ in range(iterations):
        lw, lb = w + momentum * vw, b + momentum * vb
        residual = (_softmax(xs @ lw + lb) - targets) * weight[:, None]
        gw = xs.T @ residual + l2 * lw / n
        gb = residual.sum(axis=0)
        vw = momentum * vw - step * gw
        vb = momentum * vb - step * gb
        w, b = w + vw, b + vb
    return Softmax(mean=mean, scale=scale, weights=w, bias=b)


# --- the model --------------------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)  # compared and hashed by identity: one per process
class TrackMoodModel:
    features: Softmax
    text: Softmax
    text_weight_with_features: float  # how much the text model counts beside the features (log-linear)
    centroids: np.ndarray  # (moods, 2): mean Spotify valence and energy of each mood's labelled tracks
    playlist_names: tuple[str, ...]
    playlist_embeddings: np.ndarray  # (playlists, 384) unit rows
    playlist_moods: np.ndarray  # (playlists, moods): the mood mix of each catalog playlist's tracks
    trained_ids: frozenset[str] = field(default_factory=frozenset)  # labelled tracks it learned from
    summary: str = ""

    def predict(self, *, features: np.ndarray | None, embeddings: np.ndarray, meta: np.ndarray) -> np.ndarray:
        """Per track (rows), its mood distribution from its own signals.

        ``features`` (n, 9) may hold NaN rows (tracks without features); ``embeddings`` are
        the signal texts' unit vectors (n, 384); ``meta`` (n, 3) as :func:`meta_row`.
        """
        text = self.text.probabilities(np.hstack([np.atleast_2d(embeddings) * EMBEDDING_SCALE, meta]))
        if features is None:
            return text
        features = np.atleast_2d(np.asarray(features, dtype=np.float64))
        known = ~np.isnan(features).any(axis=1)
        out = text.copy()
        if known.any():
            by_features = self.features.probabilities(features[known])
            logits = np.log(np.clip(by_features, 1e-9, None)) + self.text_weight_with_features * np.log(
                np.clip(text[known], 1e-9, None)
            )
            out[known] = _softmax(logits)
        return out


def model_save(model: TrackMoodModel, path: Path = WEIGHTS_PATH) -> None:
    arrays: dict[str, Any] = {
        "text_weight_with_features": np.array(model.text_weight_with_features),
        "centroids": model.centroids.astype(np.float32),
        "playlist_names": np.array(model.playlist_names, dtype=str),
        "playlist_embeddings": model.playlist_embeddings.astype(np.float16),
        "playlist_moods": model.playlist_moods.astype(np.float32),
        "trained_ids": np.array(sorted(model.trained_ids), dtype=str),
        "summary": np.array(model.summary),
    }
    for prefix, part in (("features", model.features), ("text", model.text)):
        for name in ("mean", "scale", "weights", "bias"):
            arrays[f"{prefix}_{name}"] = getattr(part, name).astype(np.float32)
    path.parent.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(path, **arrays)


def model_read(path: Path) -> TrackMoodModel:
    with np.load(path, allow_pickle=False) as data:

        def part(prefix: str) -> Softmax:
            return Softmax(
                *(
                    data[f"{prefix}_{name}"].astype(np.float64)
                    for name in ("mean", "scale", "weights", "bias")
                )
            )

        return TrackMoodModel(
            features=part("features"),
            text=part("text"),
            text_weight_with_features=float(data["text_weight_with_features"]),
            centroids=data["centroids"].astype(np.float64),
            playlist_names=tuple(str(name) for name in data["playlist_names"]),
            playlist_embeddings=data["playlist_embeddings"].astype(np.float32),
            playlist_moods=data["playlist_moods"].astype(np.float64),
            trained_ids=frozenset(str(i) for i in data["trained_ids"]),
            summary=str(data["summary"]),
        )


_override: list[TrackMoodModel] = []


@contextmanager
def track_mood_override(model: TrackMoodModel) -> Iterator[None]:
    """Use ``model`` instead of the shipped one for a while (evaluation's out-of-fold models)."""
    _override.append(model)
    try:
        yield
    finally:
        _override.pop()


def track_mood_model() -> TrackMoodModel:
    """The shipped model, read once per process (or the one an evaluation put in place)."""
    return _override[-1] if _override else _shipped_model()


@functools.cache
def _shipped_model() -> TrackMoodModel:
    if not WEIGHTS_PATH.is_file():
        raise TrackMoodModelMissing(f"{WEIGHTS_PATH} is missing: run manage.py train_track_mood")
    return model_read(WEIGHTS_PATH)


# --- what the database adds ---------------------------------------------------------------------------

# Evidence strengths, in "labelled tracks' worth": a track's own signals, each of its artist's
# other tracks, each playlist mate, each vote of a listener.
OWN_STRENGTH_FEATURES = 6.0
OWN_STRENGTH_TEXT = 2.0
ARTIST_MATE_STRENGTH = 0.6
ARTIST_MATES_COUNTED = 5
PLAYLIST_MATE_STRENGTH = 0.15
PLAYLIST_MATES_COUNTED = 12


@dataclass(frozen=True)
class MoodEvidence:
    """Everything known about one track's mood, before blending."""

    own: np.ndarray
    has_features: bool
    artist_mates: np.ndarray | None = None  # (k, moods): own distributions of the artist's other tracks
    playlist_mates: np.ndarray | None = None
    votes: np.ndarray | None = None  # (moods,): listeners' votes, as counts (see recommender)


def mood_blend(evidence: MoodEvidence) -> tuple[np.ndarray, list[str]]:
    """The track's mood distribution from all its evidence, and the signals that took part.

    A Dirichlet-style pooling: each source adds its distribution times its strength, so a
    lone playlist mate nudges and a track's own audio features decide.
    """
    own_strength = OWN_STRENGTH_FEATURES if evidence.has_features else OWN_STRENGTH_TEXT
    total = own_strength * evidence.own
    signals = ["features" if evidence.has_features else "text"]
    for name, mates, strength, cap in (
        ("artist", evidence.artist_mates, ARTIST_MATE_STRENGTH, ARTIST_MATES_COUNTED),
        ("playlists", evidence.playlist_mates, PLAYLIST_MATE_STRENGTH, PLAYLIST_MATES_COUNTED),
    ):
        if mates is not None and len(mates):
            total = total + strength * min(len(mates), cap) * mates.mean(axis=0)
            signals.append(name)
    if evidence.votes is not None and evidence.votes.sum() > 0:
        total = total + evidence.votes
        signals.append("listeners")
    return total / total.sum(), signals


def mood_of(distribution: Sequence[float] | np.ndarray) -> tuple[str, float]:
    """The most likely mood and its probability, e.g. ("calm", 0.82)."""
    values = np.asarray(distribution, dtype=np.float64)
    index = int(values.argmax())
    return TRACK_MOODS[index], float(values[index])
