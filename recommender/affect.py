"""Valence and energy for every profiled track: copied from audio features, else estimated.

Spotify stopped serving audio features, so a track known only from the Web API has no
valence or energy. For those, a ridge regression (closed form, numpy) maps a text
embedding to (valence, energy); it is trained on the tracks whose catalog row has features.

What the regression reads. A track without features has a mood text without feature words
("sad, dark, calm"): only genre, subgenre and lyrics mood words, or "title by artists" when
nothing else is known. The stored embeddings of tracks *with* features do carry those words,
and a model trained on them learns to read words its targets never have. So training uses
each feature track twice, with the two texts a featureless track can have: its mood text
with the features left out (``affect_text_of``), and its bare "title by artists". For a
featureless track that first text is exactly its stored mood text, so prediction reuses the
stored embedding. Each fitted model logs its own held-out figures.

Measured on the demo catalog (4,494 tracks with features, 80/20 split by artist; predicting
the mean scores MAE 0.218 valence, 0.204 energy): from genre/subgenre texts MAE 0.178 and
0.142, correlation 0.57 and 0.73; from "title by artists" alone MAE 0.204 and 0.190,
correlation 0.32 and 0.35, so such estimates get low confidence (mean 0.13 against 0.38).
A model trained on the stored embeddings reaches correlation 0.97 on held-out stored
embeddings, because their feature words give the answer away, but only 0.10 (valence) and
0.50 (energy) on feature-free texts.

Confidence (estimates only; copied features have 1.0). For an embedding x, take its k = 10
nearest held-out training rows by cosine similarity:

    skill(x)      = clip(1 - local_mse(x) / var, 0, 1)
                    local_mse: those rows' mean squared held-out error (valence and energy
                    averaged); var: the mean variance of valence and energy in training.
                    The model's own held-out error where x lives, as a share of the spread.
    support(x)    = clip((c(x) - lo) / (hi - lo), 0, 1)
                    c(x): those rows' mean cosine similarity to x; hi: the median of c over
                    the held-out rows (each against the others); lo: its 5th percentile
                    minus 0.1. How densely the training data covers x.
    confidence(x) = min(0.9, skill(x) * support(x))

so an estimate never claims the certainty of a measured feature.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np
from django.core.cache import cache

from catalog.bulk import copy_update
from catalog.models import Track
from mood.encoder import MODEL_ID, embed_texts
from mood.mood_text import lyrics_words_in, mood_text_for_track
from recommender.models import TrackProfile

logger = logging.getLogger(__name__)

NEIGHBOURS = 10
REFERENCE_LIMIT = 512
CONFIDENCE_CEILING = 0.9
RIDGE_GRID = (0.1, 0.3, 1.0, 3.0, 10.0)
MIN_TRAINING_TRACKS = 30
MAX_TRAINING_TRACKS = 1500
MODEL_CACHE_SECONDS = 86400
FEATURES = "features"
ESTIMATED = "estimated"


@dataclass(frozen=True)
class AffectModel:
    weights: np.ndarray  # (dimensions, 2): valence, energy
    intercept: np.ndarray  # (2,)
    ridge: float
    reference: np.ndarray  # (m, dimensions) unit rows: the held-out embeddings
    reference_error: np.ndarray  # (m,) their squared held-out error, both axes averaged
    variance: float
    support_low: float
    support_high: float
    heldout_mae: tuple[float, float]
    heldout_r: tuple[float, float]
    trained_on: int

    def predict(self, embeddings: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(valence, energy, confidence), each of shape (n,), all in [0, 1]."""
        x = np.atleast_2d(np.asarray(embeddings, dtype=np.float64))
        values = np.clip(x @ self.weights + self.intercept, 0.0, 1.0)
        similarity = _unit_rows(x) @ self.reference.T
        nearest = _top_k(similarity, min(NEIGHBOURS, similarity.shape[1]))
        closeness = np.take_along_axis(similarity, nearest, axis=1).mean(axis=1)
        skill = np.clip(1.0 - self.reference_error[nearest].mean(axis=1) / self.variance, 0.0, 1.0)
        support = np.clip((closeness - self.support_low) / (self.support_high - self.support_low), 0.0, 1.0)
        return values[:, 0], values[:, 1], np.minimum(CONFIDENCE_CEILING, skill * support)

    def summary(self) -> str:
        mae, r = self.heldout_mae, self.heldout_r
        return (
            f"trained on {self.trained_on} rows, ridge {self.ridge}; held-out MAE valence {mae[0]:.3f} "
            f"energy {mae[1]:.3f}, correlation valence {r[0]:.2f} energy {r[1]:.2f}"
        )


def _unit_rows(x: np.ndarray) -> np.ndarray:
    return x / np.clip(np.linalg.norm(x, axis=1, keepdims=True), 1e-12, None)


def _top_k(similarity: np.ndarray, k: int) -> np.ndarray:
    return np.argpartition(-similarity, k - 1, axis=1)[:, :k]


def _ridge(x: np.ndarray, y: np.ndarray, ridge: float) -> tuple[np.ndarray, np.ndarray]:
    x_mean, y_mean = x.mean(axis=0), y.mean(axis=0)
    centred = x - x_mean
    gram = centred.T @ centred + ridge * np.eye(x.shape[1])
    weights = np.linalg.solve(gram, centred.T @ (y - y_mean))
    return weights, y_mean - x_mean @ weights


def _correlation(a: np.ndarray, b: np.ndarray) -> float:
    if a.std() < 1e-12 or b.std() < 1e-12:
        return 0.0
    return float(np.corrcoef(a, b)[0, 1])


def _held_out(groups: np.ndarray, share: float, rng: np.random.Generator) -> np.ndarray:
    """A mask of the rows whose group is among a random ``share`` of the groups."""
    names = np.unique(groups)
    rng.shuffle(names)
    held = np.isin(groups, names[: max(1, round(len(names) * share))])
    if held.sum() < 2 or (~held).sum() < 2:
        raise ValueError("too few groups to hold some out")
    return held


def _reference(
    x: np.ndarray, errors: np.ndarray, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Held-out rows as unit vectors (at most REFERENCE_LIMIT), their errors, and each one's
    mean similarity to its nearest others: the scale ``support`` is measured against."""
    reference = _unit_rows(x)
    if len(reference) > REFERENCE_LIMIT:
        keep = rng.choice(len(reference), REFERENCE_LIMIT, replace=False)
        reference, errors = reference[keep], errors[keep]
    among = reference @ reference.T
    np.fill_diagonal(among, -np.inf)
    nearest = _top_k(among, min(NEIGHBOURS, len(reference) - 1))
    return reference, errors, np.take_along_axis(among, nearest, axis=1).mean(axis=1)


def fit_affect_model(
    embeddings: np.ndarray,
    valence: Sequence[float] | np.ndarray,
    energy: Sequence[float] | np.ndarray,
    *,
    groups: Sequence[object] | np.ndarray | None = None,
    holdout: float = 0.2,
    seed: int = 0,
) -> AffectModel:
    """Fit the ridge estimator; pure and deterministic for a given seed.

    A share ``holdout`` of the ``groups`` (rows of one group stay together, e.g. an
    artist's tracks; default: every row its own group) is held out to pick the ridge
    strength and to measure the errors behind the confidence; the final weights are then
    refitted on every row.
    """
    x = np.asarray(embeddings, dtype=np.float64)
    y = np.column_stack([np.asarray(valence, dtype=np.float64), np.asarray(energy, dtype=np.float64)])
    if x.ndim != 2 or len(x) != len(y):
        raise ValueError("embeddings must be (n, dimensions) with one valence and energy per row")
    if len(x) < 10 or not (np.isfinite(x).all() and np.isfinite(y).all()):
        raise ValueError("need at least 10 rows of finite values")
    rng = np.random.default_rng(seed)
    test = _held_out(np.arange(len(x)) if groups is None else np.asarray(groups), holdout, rng)
    train = ~test

    def heldout_mse(ridge: float) -> float:
        weights, intercept = _ridge(x[train], y[train], ridge)
        return float(((np.clip(x[test] @ weights + intercept, 0, 1) - y[test]) ** 2).mean())

    ridge = min(RIDGE_GRID, key=heldout_mse)
    weights, intercept = _ridge(x[train], y[train], ridge)
    predicted = np.clip(x[test] @ weights + intercept, 0.0, 1.0)
    reference, errors, closeness = _reference(x[test], ((predicted - y[test]) ** 2).mean(axis=1), rng)
    weights, intercept = _ridge(x, y, ridge)
    mae = np.abs(predicted - y[test]).mean(axis=0)
    return AffectModel(
        weights=weights,
        intercept=intercept,
        ridge=ridge,
        reference=reference.astype(np.float32),
        reference_error=errors,
        variance=max(float(y[train].var(axis=0).mean()), 1e-6),
        support_low=float(np.percentile(closeness, 5)) - 0.1,
        support_high=float(np.median(closeness)),
        heldout_mae=(float(mae[0]), float(mae[1])),
        heldout_r=(
            _correlation(predicted[:, 0], y[test][:, 0]),
            _correlation(predicted[:, 1], y[test][:, 1]),
        ),
        trained_on=len(x),
    )


def _artist_names(track: Track) -> list[str]:
    return [link.artist.name for link in track.artist_links.all()]


def affect_text_of(track: Track, *, lyrics_words: Sequence[str] = ()) -> str:
    """The track's mood text as it would read without audio features (artists prefetched)."""
    return mood_text_for_track(
        name=track.name,
        artists=_artist_names(track),
        genre=track.genre,
        subgenre=track.subgenre,
        lyrics_words=lyrics_words,
    )


def _training_rows(track_ids: Sequence[int]) -> tuple[list[str], list[float], list[float], list[object]]:
    tracks = (
        Track.objects.filter(id__in=track_ids)
        .select_related("profile")
        .prefetch_related("artist_links__artist")
        .order_by("id")
    )
    texts: list[str] = []
    valence: list[float] = []
    energy: list[float] = []
    groups: list[object] = []
    for track in tracks:
        lyrics_words = lyrics_words_in(track.profile.mood_text)
        title_only = mood_text_for_track(name=track.name, artists=_artist_names(track))
        group = next((link.artist_id for link in track.artist_links.all()), f"track-{track.id}")
        for text in (affect_text_of(track, lyrics_words=lyrics_words), title_only):
            texts.append(text)
            valence.append(float(track.valence))  # type: ignore[arg-type]
            energy.append(float(track.energy))  # type: ignore[arg-type]
            groups.append(group)
    return texts, valence, energy, groups


_memo: tuple[str, AffectModel] | None = None


def affect_model_current() -> AffectModel | None:
    """The estimator for the catalog as it is, or None with too few tracks that have features.

    Fitted on up to MAX_TRAINING_TRACKS profiled tracks with features (a seeded sample) and
    kept in the cache under a key derived from that sample's ids, texts and features, so
    it is refitted only when they change (or after a day).
    """
    global _memo
    with_features = TrackProfile.objects.filter(track__valence__isnull=False, track__energy__isnull=False)
    ids = list(with_features.order_by("track_id").values_list("track_id", flat=True))
    if len(ids) < MIN_TRAINING_TRACKS:
        return None
    if len(ids) > MAX_TRAINING_TRACKS:
        ids = sorted(np.random.default_rng(0).choice(ids, MAX_TRAINING_TRACKS, replace=False).tolist())
    rows = with_features.filter(track_id__in=ids).order_by("track_id")
    digest = hashlib.sha256(MODEL_ID.encode())
    for row in rows.values_list("track_id", "text_hash", "track__valence", "track__energy"):
        digest.update(repr(row).encode())
    key = f"affect:model:1:{digest.hexdigest()[:40]}"
    if _memo is not None and _memo[0] == key:
        return _memo[1]
    model = cache.get(key)
    if model is None:
        texts, valence, energy, groups = _training_rows(ids)
        model = fit_affect_model(embed_texts(texts), valence, energy, groups=groups)
        logger.info("affect model: %s", model.summary())
        cache.set(key, model, MODEL_CACHE_SECONDS)
    _memo = (key, model)
    return model


def _differs(profile: tuple, valence: float, energy: float, source: str, confidence: float) -> bool:
    _, old_valence, old_energy, old_source, old_confidence = profile
    if old_source != source or None in (old_valence, old_energy, old_confidence):
        return True
    return max(abs(old_valence - valence), abs(old_energy - energy), abs(old_confidence - confidence)) > 1e-6


AFFECT_COLUMNS = ("valence", "energy", "affect_source", "affect_confidence")
_AffectRow = tuple[int, float, float, str, float]  # profile id, then AFFECT_COLUMNS


def track_affect_refresh(*, track_ids: Iterable[int] | None = None) -> int:
    """Fill valence/energy/affect_source/affect_confidence of the tracks' profiles.

    Features are copied (confidence 1.0); tracks without them get the estimator's values
    when their profile is embedded and the catalog has enough tracks to learn from
    (otherwise they are left as they were). ``track_ids`` None means every profile.
    Only rows whose values moved are written, by COPY and one UPDATE (``catalog.bulk``):
    ``bulk_update`` took ~45 s per 40k rows, and even one plain UPDATE of every profile costs
    ~14 s at 58k, most of it the HNSW index taking each rewritten row again.
    Returns how many profiles changed; a second run returns 0.
    """
    profiles = TrackProfile.objects.all()
    if track_ids is not None:
        profiles = profiles.filter(track_id__in=list(track_ids))
    changed: list[_AffectRow] = []
    to_estimate: list[int] = []
    fields = ("id", *AFFECT_COLUMNS)
    for *profile, valence, energy in profiles.values_list(*fields, "track__valence", "track__energy"):
        if valence is None or energy is None:
            to_estimate.append(profile[0])
        elif _differs(tuple(profile), valence, energy, FEATURES, 1.0):
            changed.append((profile[0], valence, energy, FEATURES, 1.0))
    if to_estimate:
        changed += _estimates(to_estimate, fields)
    return len(copy_update(TrackProfile, "id", AFFECT_COLUMNS, changed))


def _estimates(profile_ids: list[int], fields: Sequence[str]) -> list[_AffectRow]:
    rows = list(
        TrackProfile.objects.filter(id__in=profile_ids, embedding__isnull=False).values_list(
            *fields, "embedding"
        )
    )
    model = affect_model_current() if rows else None
    if model is None:
        return []
    valence, energy, confidence = model.predict(np.array([row[-1] for row in rows], dtype=np.float32))
    changed = []
    for row, v, e, c in zip(rows, valence.round(4), energy.round(4), confidence.round(4), strict=True):
        if _differs(tuple(row[:-1]), float(v), float(e), ESTIMATED, float(c)):
            changed.append((row[0], float(v), float(e), ESTIMATED, float(c)))
    return changed
