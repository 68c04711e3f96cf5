"""Training the track mood model from human labels and a catalog (``manage.py train_track_mood``).

Inputs: a labelled CSV in the ``moods_dev`` shape (name, album, artist, id, release_date,
popularity, length, the audio features, mood) and catalog CSVs in the Kaggle ``spotify_pop``
shape (one row per track and playlist). Steps, all deterministic:

1. the feature model learns the labels from the nine audio features;
2. it labels the catalog's tracks softly (distillation), so the text model can learn what
   genre, subgenre and playlist names say about mood;
3. the text model learns from the labelled tracks (weight 1 each) and the catalog tracks
   (``DISTILLED_WEIGHT`` each, soft targets) over their signal texts and metadata;
4. each mood's centroid in valence/energy is its labelled tracks' mean; each catalog
   playlist's mood mix is the mean of its tracks' feature-model distributions.

``cross_validated`` measures all of it honestly: for each fold the whole pipeline is trained
without that fold's labelled tracks, then asked about them.
"""

from __future__ import annotations

import csv
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from catalog.csv_rows import artist_names_split
from mood.encoder import embed_texts
from mood.track_mood import (
    EMBEDDING_SCALE,
    FEATURE_NAMES,
    META_NAMES,
    TRACK_MOODS,
    Softmax,
    TrackMoodModel,
    feature_row,
    meta_row,
    signal_text,
    softmax_fit,
)

SHARED_DATA = Path(__file__).resolve().parent.parent.parent / "shared" / "data"
LABELS_FILE = SHARED_DATA / "moods_dev" / "data_moods_dev.csv"
CATALOG_FILES = (
    SHARED_DATA / "spotify_pop" / "high_popularity_spotify_data.csv",
    SHARED_DATA / "spotify_pop" / "low_popularity_spotify_data.csv",
)
DISTILLED_WEIGHT = 0.08
FEATURE_L2 = 1.0
TEXT_L2 = 10.0
TEXT_WEIGHT_WITH_FEATURES = 0.3


@dataclass(frozen=True)
class TrackExample:
    spotify_id: str
    text: str
    features: list[float] | None
    meta: list[float]
    mood: str | None = None  # a human label, lower-case
    playlists: tuple[str, ...] = ()


def labelled_examples(path: Path) -> list[TrackExample]:
    """Rows of a ``moods_dev``-shaped CSV with a known mood; the label never enters the text."""
    examples = []
    with path.open(encoding="utf-8-sig", newline="") as handle:
        for row in csv.DictReader(handle):
            mood = (row.get("mood") or "").strip().lower()
            if mood not in TRACK_MOODS:
                continue
            examples.append(
                TrackExample(
                    spotify_id=row["id"].strip(),
                    text=signal_text(
                        name=row["name"].strip(),
                        artists=artist_names_split(row.get("artist") or ""),
                        album=(row.get("album") or "").strip(),
                    ),
                    features=_features(row),
                    meta=meta_row(
                        duration_ms=_int(row.get("length")),
                        release_date=row.get("release_date") or "",
                        popularity=_int(row.get("popularity")),
                    ),
                    mood=mood,
                )
            )
    return examples


def catalog_examples(paths: Iterable[Path]) -> list[TrackExample]:
    """One example per track of Kaggle-shaped catalog CSVs, with all the playlists it is in."""
    rows: dict[str, dict[str, str]] = {}
    playlists: dict[str, list[str]] = defaultdict(list)
    for path in paths:
        with path.open(encoding="utf-8-sig", newline="") as handle:
            for row in csv.DictReader(handle):
                track_id = (row.get("track_id") or "").strip()
                if not track_id:
                    continue
                rows.setdefault(track_id, row)
                playlists[track_id].append((row.get("playlist_name") or "").strip())
    examples = []
    for track_id, row in rows.items():
        names = tuple(dict.fromkeys(p for p in playlists[track_id] if p))
        examples.append(
            TrackExample(
                spotify_id=track_id,
                text=signal_text(
                    name=(row.get("track_name") or "").strip(),
                    artists=artist_names_split(row.get("track_artist") or ""),
                    album=(row.get("track_album_name") or "").strip(),
                    genre=(row.get("playlist_genre") or "").strip().lower(),
                    subgenre=(row.get("playlist_subgenre") or "").strip().lower(),
                    playlists=names,
                ),
                features=_features(row),
                meta=meta_row(
                    duration_ms=_int(row.get("duration_ms")),
                    release_date=row.get("track_album_release_date") or "",
                    popularity=_int(row.get("track_popularity")),
                ),
                playlists=names,
            )
        )
    return examples


def _int(value: str | None) -> int | None:
    if not value:
        return None
    try:
        return int(float(value))
    except ValueError:
        return None


def _features(row: dict[str, str]) -> list[float] | None:
    values: dict[str, float | None] = {}
    for name in FEATURE_NAMES:
        try:
            values[name] = float(row[name]) if row.get(name) not in (None, "") else None
        except ValueError:
            values[name] = None
    return feature_row(values)


class Embeddings:
    """Signal-text vectors, each distinct text embedded once across folds."""

    def __init__(self) -> None:
        self._vectors: dict[str, np.ndarray] = {}

    def __call__(self, texts: Sequence[str]) -> np.ndarray:
        missing = [text for text in dict.fromkeys(texts) if text not in self._vectors]
        if missing:
            self._vectors.update(zip(missing, embed_texts(missing), strict=True))
        return np.array([self._vectors[text] for text in texts], dtype=np.float32)


def _one_hot(examples: Sequence[TrackExample]) -> np.ndarray:
    return np.eye(len(TRACK_MOODS))[[TRACK_MOODS.index(e.mood or "") for e in examples]]


def _text_inputs(examples: Sequence[TrackExample], embed: Embeddings) -> np.ndarray:
    return np.hstack(
        [
            embed([e.text for e in examples]) * EMBEDDING_SCALE,
            np.array([e.meta for e in examples], dtype=float),
        ]
    )


def _text_scale(dimensions: int, meta: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Embedding columns kept as they are (already scaled); meta columns standardised."""
    mean = np.concatenate([np.zeros(dimensions), np.nan_to_num(np.nanmean(meta, axis=0))])
    scale = np.concatenate([np.ones(dimensions), np.nan_to_num(np.nanstd(meta, axis=0), nan=1.0)])
    return mean, scale


def train(
    labelled: Sequence[TrackExample],
    catalog: Sequence[TrackExample],
    *,
    embed: Embeddings | None = None,
    use_catalog: bool = True,
) -> TrackMoodModel:
    """The whole model from labelled tracks (those with features teach the feature model) and
    a catalog (distilled into the text model; ``use_catalog`` False leaves it out)."""
    embed = embed or Embeddings()
    with_features = [e for e in labelled if e.features is not None]
    if len({e.mood for e in with_features}) < len(TRACK_MOODS):
        raise ValueError("every mood needs labelled tracks with audio features")
    feature_model = softmax_fit(
        np.array([e.features for e in with_features]), _one_hot(with_features), l2=FEATURE_L2
    )
    distilled = [e for e in catalog if e.features is not None] if use_catalog else []
    soft = (
        feature_model.probabilities(np.array([e.features for e in distilled]))
        if distilled
        else np.zeros((0, len(TRACK_MOODS)))
    )
    examples = list(labelled) + distilled
    inputs = _text_inputs(examples, embed)
    targets = np.vstack([_one_hot(labelled), soft])
    weights = np.concatenate([np.ones(len(labelled)), np.full(len(distilled), DISTILLED_WEIGHT)])
    dimensions = inputs.shape[1] - len(META_NAMES)
    mean, scale = _text_scale(dimensions, inputs[:, dimensions:])
    text_model = softmax_fit(inputs, targets, sample_weight=weights, l2=TEXT_L2, mean=mean, scale=scale)
    centroids = np.array(
        [
            [
                np.mean([e.features[FEATURE_NAMES.index(axis)] for e in with_features if e.mood == mood])  # type: ignore[index]
                for axis in ("valence", "energy")
            ]
            for mood in TRACK_MOODS
        ]
    )
    names, mixes = _playlist_moods(distilled, soft)
    return TrackMoodModel(
        features=feature_model,
        text=text_model,
        text_weight_with_features=TEXT_WEIGHT_WITH_FEATURES,
        centroids=centroids,
        playlist_names=tuple(names),
        playlist_embeddings=embed(names) if names else np.zeros((0, dimensions), dtype=np.float32),
        playlist_moods=mixes,
        trained_ids=frozenset(e.spotify_id for e in labelled),
    )


def _playlist_moods(examples: Sequence[TrackExample], soft: np.ndarray) -> tuple[list[str], np.ndarray]:
    members: dict[str, list[int]] = defaultdict(list)
    for index, example in enumerate(examples):
        for name in example.playlists:
            members[name].append(index)
    names = sorted(name for name, rows in members.items() if len(rows) >= 3)
    if not names:
        return [], np.zeros((0, len(TRACK_MOODS)))
    return names, np.array([soft[members[name]].mean(axis=0) for name in names])


@dataclass(frozen=True)
class FoldFigures:
    """Out-of-fold results over the labelled tracks for one way of predicting."""

    name: str
    accuracy: float
    top10: dict[str, float]  # per mood: share of the 10 tracks most confidently that mood that are it

    @property
    def top10_mean(self) -> float:
        return float(np.mean(list(self.top10.values())))


def cross_validated(
    labelled: Sequence[TrackExample], catalog: Sequence[TrackExample], *, folds: int = 5, seed: int = 0
) -> list[FoldFigures]:
    """k-fold figures, the whole pipeline retrained per fold: with features, and blind (the
    same tracks as if the features were unknown), with and without the catalog's distillation."""
    embed = Embeddings()
    fold_of = np.random.default_rng(seed).integers(0, folds, len(labelled))
    truth = np.array([TRACK_MOODS.index(e.mood or "") for e in labelled])
    predicted = {name: np.zeros((len(labelled), len(TRACK_MOODS))) for name in _WAYS}
    for fold in range(folds):
        train_rows = [e for e, f in zip(labelled, fold_of, strict=True) if f != fold]
        test_rows = [e for e, f in zip(labelled, fold_of, strict=True) if f == fold]
        where = fold_of == fold
        for use_catalog in (True, False):
            model = train(train_rows, catalog, embed=embed, use_catalog=use_catalog)
            suffix = "" if use_catalog else ", no catalog"
            embeddings = embed([e.text for e in test_rows])
            meta = np.array([e.meta for e in test_rows], dtype=float)
            features = np.array(
                [e.features if e.features is not None else [np.nan] * len(FEATURE_NAMES) for e in test_rows]
            )
            predicted[f"features + text{suffix}"][where] = model.predict(
                features=features, embeddings=embeddings, meta=meta
            )
            predicted[f"text + metadata (blind){suffix}"][where] = model.predict(
                features=None, embeddings=embeddings, meta=meta
            )
            if use_catalog:
                predicted["features only"][where] = _features_only(model.features, features)
                predicted["text only (blind)"][where] = _text_only(model, embeddings)
    return [_figures(name, predicted[name], truth) for name in _WAYS]


_WAYS = (
    "features + text",
    "features only",
    "text + metadata (blind)",
    "text only (blind)",
    "features + text, no catalog",
    "text + metadata (blind), no catalog",
)


def _features_only(model: Softmax, features: np.ndarray) -> np.ndarray:
    return model.probabilities(np.nan_to_num(features))


def _text_only(model: TrackMoodModel, embeddings: np.ndarray) -> np.ndarray:
    """The text model with the metadata unknown (read as the training mean)."""
    meta = np.full((len(embeddings), len(META_NAMES)), np.nan)
    return model.predict(features=None, embeddings=embeddings, meta=meta)


def _figures(name: str, probabilities: np.ndarray, truth: np.ndarray) -> FoldFigures:
    top10 = {
        mood: float((truth[np.argsort(-probabilities[:, index], kind="stable")[:10]] == index).mean())
        for index, mood in enumerate(TRACK_MOODS)
    }
    return FoldFigures(name, float((probabilities.argmax(axis=1) == truth).mean()), top10)
