"""Mood fit on labels people gave: ``eval_recommender --moods FILE.csv [--blind] [--folds K]``.

A file of human mood-labelled tracks (the ``moods_dev`` shape: name, album, artist, id,
release_date, popularity, length, audio features, mood) becomes a scratch catalog inside a
rolled-back transaction — nothing else in it, nothing kept. Its tracks are profiled by the
same code the worker runs (mood text, embedding, valence/energy, track mood). Then, for each
mood, listeners say it in several ways; each phrasing goes through perception and the
listening target exactly as a chat turn does, twice for the same new listener (so the second
list cannot repeat the first). Mood fit = the share of the picks whose *human* label is the
mood asked for. Baselines: chance (the file's share of that mood) and popularity (the ten
most popular tracks).

``--blind`` blanks the audio features (the 2026 Web API serves none). The labels enter only
the scoring — and, with ``--folds K``, the training of K track mood models, each of which
then labels only the tracks it never saw (out-of-fold), so a file the shipped model learned
from is measured honestly. Without ``--folds`` on such a file, the report says so.
"""

from __future__ import annotations

import csv
from collections import defaultdict
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from catalog.csv_rows import catalog_from_rows, spotify_like_id
from catalog.models import Track
from catalog.services import catalog_save
from mood.perception import mood_from_text
from mood.track_mood import FEATURE_NAMES, TRACK_MOODS, TrackMoodModel, track_mood_model, track_mood_override
from mood.track_mood_training import Embeddings, catalog_examples, labelled_examples, train
from recommender.evaluation.sandbox import rolled_back, throwaway_user
from recommender.models import TrackProfile
from recommender.profiles import track_profiles_refresh
from recommender.services import recommend_for_mood
from recommender.track_moods import ALL_SIGNALS, track_mood_refresh

# Development phrasings, several per mood, written here; the measurers' own are unseen.
MOOD_PHRASINGS: dict[str, tuple[str, ...]] = {
    "happy": (
        "I'm in such a good mood today, play something happy",
        "give me some feel-good songs",
        "we just got engaged, I'm so happy!",
    ),
    "sad": (
        "I'm heartbroken, play me some sad songs",
        "I feel so down and lonely tonight",
        "something melancholic for a rainy evening",
    ),
    "calm": (
        "play something calm, I need to relax",
        "help me wind down before sleep",
        "quiet music to focus while I study",
    ),
    "energetic": (
        "pump me up for the gym",
        "I need energy for my morning run, something intense",
        "hype songs for a workout",
    ),
}
ASKS_PER_PHRASING = 2
_EMBEDDINGS = Embeddings()  # signal texts embedded once per run, across folds and ablations
_FOLD_MODELS: dict[tuple[str, int, int], TrackMoodModel] = {}
LIST_LENGTH = 10


def labelled_rows(path: Path, *, blind: bool) -> tuple[list[dict[str, str]], dict[str, str]]:
    """The file as catalog-import rows (its album gets a stable made-up id; features blanked when
    ``blind``) and each track's human label by Spotify id. The label never enters a row."""
    rows, labels = [], {}
    with path.open(encoding="utf-8-sig", newline="") as handle:
        for row in csv.DictReader(handle):
            mood = (row.get("mood") or "").strip().lower()
            track_id = (row.get("id") or "").strip()
            if mood not in TRACK_MOODS or not track_id:
                continue
            labels[track_id] = mood
            album = (row.get("album") or "").strip()
            imported = {
                "track_id": track_id,
                "track_name": row.get("name") or "",
                "track_artist": row.get("artist") or "",
                "track_album_id": spotify_like_id(f"album|{album}|{row.get('artist') or ''}")
                if album
                else "",
                "track_album_name": album,
                "track_album_release_date": row.get("release_date") or "",
                "track_popularity": row.get("popularity") or "",
                "duration_ms": row.get("length") or "",
                "playlist_id": "",
                "playlist_name": "",
                "playlist_genre": "",
                "playlist_subgenre": "",
            }
            for name in (*FEATURE_NAMES, "mode", "key"):
                imported[name] = "" if blind else (row.get(name) or "")
            rows.append(imported)
    return rows, labels


@contextmanager
def scratch_catalog(rows: Sequence[dict[str, str]]) -> Iterator[dict[int, str]]:
    """Inside a rolled-back transaction: a catalog holding only ``rows``, profiled as the worker
    would; yields track id → Spotify id."""
    with rolled_back():
        Track.objects.all().delete()
        catalog, _skipped = catalog_from_rows(rows)
        catalog_save(catalog, overwrite=True)
        ids = dict(Track.objects.values_list("id", "spotify_id"))
        track_profiles_refresh(track_ids=list(ids))
        yield ids


def out_of_fold_moods(
    labelled_file: Path,
    catalog_files: Sequence[Path],
    ids: dict[int, str],
    *,
    folds: int,
    signals: frozenset[str],
) -> None:
    """Relabel every scratch track with a model that never saw its label (k folds by Spotify id)."""
    labelled = labelled_examples(labelled_file)
    catalog = catalog_examples(catalog_files)
    fold_of = {e.spotify_id: i for i, e in enumerate(labelled)}
    rng_folds = np.random.default_rng(0).integers(0, folds, len(labelled))
    by_spotify = {spotify_id: track_id for track_id, spotify_id in ids.items()}
    snapshots: dict[int, tuple] = {}
    embed = _EMBEDDINGS
    for fold in range(folds):
        key = (str(labelled_file), folds, fold)
        if key not in _FOLD_MODELS:  # the same for every ablation: signals change what is read, not the model
            rows = [e for e in labelled if rng_folds[fold_of[e.spotify_id]] != fold]
            _FOLD_MODELS[key] = train(rows, catalog, embed=embed)
        model = _FOLD_MODELS[key]
        with track_mood_override(model):
            track_mood_refresh(track_ids=list(ids), signals=signals, force=True)
        in_fold = [
            by_spotify[e.spotify_id]
            for e in labelled
            if rng_folds[fold_of[e.spotify_id]] == fold and e.spotify_id in by_spotify
        ]
        for profile in TrackProfile.objects.filter(track_id__in=in_fold):
            snapshots[profile.track_id] = (profile.mood, profile.mood_label, profile.mood_confidence)
    for track_id, (mood, label, confidence) in snapshots.items():
        TrackProfile.objects.filter(track_id=track_id).update(
            mood=mood, mood_label=label, mood_confidence=confidence
        )


@dataclass
class MoodFit:
    per_mood: dict[str, float]
    chance: dict[str, float]
    popularity: dict[str, float]
    lists: int
    examples: dict[str, list[str]] = field(default_factory=dict)

    @property
    def overall(self) -> float:
        return float(np.mean(list(self.per_mood.values())))


def mood_fit_measure(ids: dict[int, str], labels: dict[str, str], *, seed: int = 0) -> MoodFit:
    """Ask for each mood as listeners would; the share of picks people labelled with that mood."""
    hits: dict[str, list[float]] = defaultdict(list)
    examples: dict[str, list[str]] = {}
    lists = 0
    for mood, phrasings in MOOD_PHRASINGS.items():
        for index, text in enumerate(phrasings):
            with rolled_back():
                user = throwaway_user(f"moods-{mood}-{index}-{seed}")
                for _ in range(ASKS_PER_PHRASING):
                    picks = recommend_for_mood(
                        user=user, mood=mood_from_text(text), text=text, count=LIST_LENGTH
                    )
                    lists += 1
                    hits[mood] += [float(labels.get(ids[p.track_id]) == mood) for p in picks]
                    examples.setdefault(
                        mood, [f"{p.name} ({labels.get(ids[p.track_id])})" for p in picks[:3]]
                    )
    share = {mood: float(np.mean(values)) if values else 0.0 for mood, values in hits.items()}
    counts = {mood: sum(1 for label in labels.values() if label == mood) for mood in TRACK_MOODS}
    popular = list(
        Track.objects.filter(id__in=ids)
        .order_by("-popularity", "id")
        .values_list("spotify_id", flat=True)[:LIST_LENGTH]
    )
    return MoodFit(
        per_mood=share,
        chance={mood: counts[mood] / max(1, len(labels)) for mood in TRACK_MOODS},
        popularity={
            mood: sum(labels.get(s) == mood for s in popular) / max(1, len(popular)) for mood in TRACK_MOODS
        },
        lists=lists,
        examples=examples,
    )


@dataclass(frozen=True)
class LabelledMoodsOptions:
    path: Path
    blind: bool = False
    folds: int = 0
    catalog_files: tuple[Path, ...] = ()
    ablations: bool = True
    seed: int = 0


def labelled_moods_report(options: LabelledMoodsOptions, write: Callable[[str], None]) -> MoodFit:
    """Run the measurement (and, with ``ablations``, once more without each signal) and print it."""
    rows, labels = labelled_rows(options.path, blind=options.blind)
    if not rows:
        raise ValueError(f"{options.path} has no rows with a mood label ({', '.join(TRACK_MOODS)})")
    write(
        f"== mood fit on human labels: {options.path.name}, {len(rows)} tracks, "
        f"{'features blanked (--blind)' if options.blind else 'with audio features'}"
    )
    present = _signals_present(options.blind)
    variants: list[tuple[str, frozenset[str]]] = [("all signals", present)]
    if options.ablations:
        variants += [(f"without {name}", present - {name}) for name in sorted(present) if name in _ABLATABLE]
    results: dict[str, MoodFit] = {}
    with scratch_catalog(rows) as ids:
        overlap = sum(1 for spotify_id in ids.values() if spotify_id in _trained_ids())
        if overlap and not options.folds:
            write(
                f"NOTE: {overlap} of {len(ids)} tracks taught the shipped model their label: this is "
                "not a held-out figure. Use --folds K for an honest one."
            )
        for name, signals in variants:
            _label_tracks(options, ids, signals)
            results[name] = mood_fit_measure(ids, labels, seed=options.seed)
    main = results["all signals"]
    write(_table(main, options))
    if len(results) > 1:
        write("per-signal contribution (overall mood fit with the signal removed; lower = it helped):")
        for name, fit in results.items():
            write(f"  {name:<22} {fit.overall:.3f}  ({_per_mood(fit.per_mood)})")
        write("  not in this file: genre, playlists, lyrics, listeners' votes (the catalog supplies them)")
    return main


_ABLATABLE = {"features", "text", "metadata", "artist"}


def _signals_present(blind: bool) -> frozenset[str]:
    return ALL_SIGNALS - ({"features"} if blind else set())


def _trained_ids() -> frozenset[str]:
    return track_mood_model().trained_ids


def _label_tracks(options: LabelledMoodsOptions, ids: dict[int, str], signals: frozenset[str]) -> None:
    if options.folds:
        out_of_fold_moods(options.path, options.catalog_files, ids, folds=options.folds, signals=signals)
    else:
        track_mood_refresh(track_ids=list(ids), signals=signals, force=True)


def _per_mood(values: dict[str, float]) -> str:
    return ", ".join(f"{mood} {values.get(mood, 0.0):.2f}" for mood in TRACK_MOODS)


def _table(fit: MoodFit, options: LabelledMoodsOptions) -> str:
    lines = [
        f"{len(MOOD_PHRASINGS['happy'])} phrasings per mood, "
        f"each asked {ASKS_PER_PHRASING}× by a new listener, "
        f"{LIST_LENGTH} picks per list ({fit.lists} lists); "
        + (
            f"out-of-fold track moods ({options.folds} folds)"
            if options.folds
            else "the shipped track mood model"
        ),
        f"{'mood':<10} {'ours':>6} {'chance':>7} {'popularity':>11}",
    ]
    for mood in TRACK_MOODS:
        lines.append(
            f"{mood:<10} {fit.per_mood.get(mood, 0.0):>6.3f} {fit.chance[mood]:>7.3f} "
            f"{fit.popularity[mood]:>11.3f}"
        )
    lines.append(
        f"{'overall':<10} {fit.overall:>6.3f} {np.mean(list(fit.chance.values())):>7.3f} "
        f"{np.mean(list(fit.popularity.values())):>11.3f}"
    )
    for mood, names in fit.examples.items():
        lines.append(f"  e.g. {mood}: {'; '.join(names)}")
    return "\n".join(lines)
