"""The evaluation as ``manage.py eval_recommender`` prints it: run the asked-for sections, write tables.

``evaluation_report`` is the whole run; it writes one line (or block) per call to ``write``, so
the command hands it its stdout and a test can hand it a list's ``append``.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.conf import settings

from catalog.models import Artist
from recommender.evaluation.catalog import CatalogView
from recommender.evaluation.continuation import (
    ContinuationRun,
    continuation_hits_by_source,
    continuation_playlists,
    continuation_run,
    continuation_table,
    genre_labels_removed,
)
from recommender.evaluation.lastfm import lastfm_read, lastfm_run, lastfm_table
from recommender.evaluation.methods import GENEROUS_POOL
from recommender.evaluation.metrics import mean
from recommender.evaluation.moods import MoodRun, diversity_rows, mood_run, mood_table
from recommender.evaluation.sandbox import throwaway_users_delete
from recommender.recall import recall_candidates_for_user
from recommender.selectors import site_weights_get

SECTIONS = ("continuation", "mood", "diversity", "repetition", "lastfm")
# HetRec 2011's artists.dat and user_artists.dat, where the shared data sets live.
LASTFM_DIR = Path(settings.BASE_DIR).parent / "shared" / "data" / "lastfm_hetrec2011"

Write = Callable[[str], Any]


@dataclass(frozen=True)
class ReportOptions:
    """What to run: ``sections`` (a subset of SECTIONS), how many playlists (0 = all eligible)
    and Last.fm users (0 = all eligible), and the variants to add."""

    sections: Sequence[str] = SECTIONS
    seed: int = 0
    playlists: int = 0
    users: int = 60
    lastfm: Path = LASTFM_DIR
    generous: bool = True
    genre_blind: bool = False


def table(headers: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    """Plain fixed-width text: first column left-aligned, numbers (3 decimals) right-aligned."""

    def cell(value: Any) -> str:
        if isinstance(value, float):
            return "—" if math.isnan(value) else f"{value:.3f}"
        return str(value)

    cells = [[cell(value) for value in row] for row in rows]
    widths = [max(len(h), *(len(row[i]) for row in cells)) for i, h in enumerate(headers)]

    def line(values: Sequence[str]) -> str:
        first = values[0].ljust(widths[0])
        return "  ".join([first, *(v.rjust(w) for v, w in zip(values[1:], widths[1:], strict=True))])

    return "\n".join([line(headers), "  ".join("-" * w for w in widths), *(line(row) for row in cells)])


def evaluation_report(*, catalog: CatalogView, options: ReportOptions, write: Write) -> None:
    """Run the asked-for sections against ``catalog`` and write their tables.

    Eval users a crashed run left behind are removed first and again at the end (also when a
    section fails); the last line says how many the end found.
    """
    sections = set(options.sections)
    throwaway_users_delete()
    recall = recall_candidates_for_user
    seed = options.seed
    playlist_ids, eligible, small = continuation_playlists(sample=options.playlists, seed=seed)
    _write_config(write, options, catalog, (len(playlist_ids), eligible, small))
    history_playlist = playlist_ids[0] if playlist_ids else None
    try:
        continuation = None
        if {"continuation", "diversity"} & sections:
            continuation = continuation_run(
                catalog=catalog,
                playlist_ids=playlist_ids,
                seed=seed,
                generous=options.generous,
                recall=recall,
                skipped_small=small,
            )
        if "continuation" in sections and continuation is not None:
            _write_continuation(write, continuation)
        if options.genre_blind:
            _write_genre_blind_continuation(write, playlist_ids, seed=seed, generous=options.generous)
        moods = None
        if {"mood", "diversity", "repetition"} & sections:
            moods = mood_run(catalog=catalog, seed=seed, recall=recall, history_playlist_id=history_playlist)
        if "mood" in sections and moods is not None:
            _write_moods(write, moods, catalog)
        if "diversity" in sections and continuation is not None and moods is not None:
            _write_diversity(write, continuation, moods, catalog)
        if "repetition" in sections and moods is not None:
            _write_repetition(write, moods, history_playlist)
        if "lastfm" in sections:
            _write_lastfm(write, options, catalog)
    finally:
        left = throwaway_users_delete()
    write(f"\nthrowaway users left behind and deleted: {left}")


def _write_config(
    write: Write, options: ReportOptions, catalog: CatalogView, playlists: tuple[int, int, int]
) -> None:
    weights = site_weights_get()
    evaluated, eligible, small = playlists
    write("== configuration ==")
    write(
        f"seed {options.seed} · catalog {len(catalog.track_ids):,} embedded tracks · "
        f"playlists {evaluated} of {eligible} eligible ({small} with < 5 tracks skipped) · "
        f"Last.fm users {options.users or 'all'} · hold-out 20% · lists of 50 (10 for moods)"
    )
    write("recall: recommender.recall.recall_candidates_for_user (artists, co-occurrence, popular)")
    write(
        f"ranker weights in force: α {weights.alpha} β {weights.beta} γ {weights.gamma} "
        f"fit {weights.fit} popularity {weights.popularity} recall {weights.recall} "
        f"temperature {weights.temperature} "
        f"max/artist {weights.max_per_artist} pool {weights.candidate_pool}"
    )
    if options.generous:
        write(
            f"variant 'ours, pool {GENEROUS_POOL:,}': the same weights with candidate_pool "
            f"{GENEROUS_POOL:,}, so every recall candidate (≤1,500) is ranked, not only the "
            f"{weights.candidate_pool} nearest the mood query (set from recall's size, not tuned)"
        )


def _write_continuation(write: Write, run: ContinuationRun) -> None:
    hidden = sum(len(case.hidden) for case in run.cases)
    write(
        f"\n== (a) playlist continuation: {len(run.cases)} playlists, {hidden} hidden tracks "
        f"({run.seconds:.0f} s) =="
    )
    write(
        "history = the visible 80% as plays + top tracks; hidden tracks moved out of their playlist "
        "for the case (leak guard); mood = neutral at the visible tracks' mean valence/energy"
    )
    write(table(["method", "recall@10", "recall@50", "NDCG@10", "hit@50"], continuation_table(run)))
    _write_continuation_notes(write, run)
    write(
        "caution: in the demo catalog a track's genre/subgenre is the label of the playlist it appears "
        "in most often (see the probe row), and those labels are in every mood text the ranker embeds; "
        "--genre-blind reruns this table without them"
    )


def _write_continuation_notes(write: Write, run: ContinuationRun) -> None:
    hidden = sum(len(case.hidden) for case in run.cases)
    if run.recall_used:
        covered = sum(case.hidden_in_candidates for case in run.cases)
        share = covered / max(hidden, 1)
        write(
            f"recall candidates hold {covered} of {hidden} hidden tracks ({share:.3f}); "
            "the ranker also adds catalog tracks nearest the mood query"
        )
    for method in dict.fromkeys(m for case in run.cases for m in case.sources):
        hits = continuation_hits_by_source(run, method)
        found = ", ".join(f"{source} {n}" for source, n in hits.most_common()) or "none"
        write(f"{method}: hidden tracks in the top 50 by first source: {found}")


def _write_genre_blind_continuation(
    write: Write, playlist_ids: list[int], *, seed: int, generous: bool
) -> None:
    began = time.perf_counter()
    with genre_labels_removed() as embedded:
        blind = CatalogView.load()
        run = continuation_run(
            catalog=blind,
            playlist_ids=playlist_ids,
            seed=seed,
            generous=generous,
            recall=recall_candidates_for_user,
        )
    write(
        f"\n== (a′) the same, with every track's genre/subgenre removed and {embedded:,} profiles "
        f"re-embedded (rolled back; {time.perf_counter() - began:.0f} s) =="
    )
    write(table(["method", "recall@10", "recall@50", "NDCG@10", "hit@50"], continuation_table(run)))
    _write_continuation_notes(write, run)


def _write_moods(write: Write, run: MoodRun, catalog: CatalogView) -> None:
    write(
        f"\n== (b) region share, new listener (no history{', recall cold start' if run.recall_used else ''}) "
        f"({run.seconds:.0f} s incl. repetition) =="
    )
    write(
        "in region = valence/energy within the target region's width of its centre "
        "(target_region(v, a), strategy match); 5 lists of 10 per method, averaged.\n"
        "CIRCULAR: the regions are our own rule, not what listeners feel; mood fit on human labels is "
        "`eval_recommender --moods FILE.csv`."
    )
    rows = [
        (mood, method, base, share, distance)
        for mood, _, base, method, share, distance in mood_table(run, catalog)
    ]
    targets = []
    for case in run.cases:
        target, region = case.target, case.target.region
        targets.append(
            f"  {target.name:<9} “{target.text}” → {target.label} (v {target.valence:+.1f}, "
            f"a {target.arousal:+.1f}) → centre ({region.valence:.2f}, {region.energy:.2f}) "
            f"width {region.width:.2f}"
        )
    write("\n".join(targets))
    write(table(["mood", "method", "catalog in region", "top-10 in region", "mean distance"], rows))
    overall = {}
    for method in dict.fromkeys(row[1] for row in rows):
        overall[method] = mean([row[3] for row in rows if row[1] == method])
    write(
        "region share, mean over moods: "
        + ", ".join(f"{method} {value:.3f}" for method, value in overall.items())
    )


def _write_diversity(
    write: Write, continuation: ContinuationRun, moods: MoodRun, catalog: CatalogView
) -> None:
    write("\n== (c) diversity of the top 10 ==")
    write("distinct lead artists per 10; intra-list distance = mean 1 − cosine between track embeddings")
    by_method: dict[str, list[list[int]]] = {}
    for case in continuation.cases:
        for method, ids in case.lists.items():
            by_method.setdefault(method, []).append(ids)
    rows = [("playlist continuation", *row) for row in diversity_rows(catalog, by_method)]
    by_mood: dict[str, list[list[int]]] = {}
    for mood_case in moods.cases:
        for method, lists in mood_case.lists.items():
            by_mood.setdefault(method, []).extend(lists)
    rows += [("mood, new listener", *row) for row in diversity_rows(catalog, by_mood)]
    write(table(["lists", "method", "distinct artists", "intra-list distance"], rows))


def _write_repetition(write: Write, run: MoodRun, history_playlist: int | None) -> None:
    write("\n== (d) repetition: Jaccard between two consecutive top-10 lists, same mood ==")
    if history_playlist is not None:
        write(f"'with history' = plays of every track of catalog playlist #{history_playlist}")
    methods = list(dict.fromkeys(m for case in run.repetition for m in case.jaccard))
    rows = [(case.mood, case.persona, *(case.jaccard[m] for m in methods)) for case in run.repetition]
    for persona in dict.fromkeys(case.persona for case in run.repetition):
        rows.append(
            (
                "mean",
                persona,
                *(mean([c.jaccard[m] for c in run.repetition if c.persona == persona]) for m in methods),
            )
        )
    write(table(["mood", "listener", *methods], rows))


def _write_lastfm(write: Write, options: ReportOptions, catalog: CatalogView) -> None:
    path = options.lastfm
    write("\n== (e) artist-level personalization, Last.fm HetRec 2011 ==")
    if not (path / "artists.dat").is_file() or not (path / "user_artists.dat").is_file():
        write(f"skipped: no artists.dat / user_artists.dat under {path}")
        return
    data = lastfm_read(path, catalog_artists=dict(Artist.objects.values_list("pk", "name")))
    run = lastfm_run(
        catalog=catalog,
        data=data,
        users=options.users,
        seed=options.seed,
        generous=options.generous,
        recall=recall_candidates_for_user,
    )
    hidden = sum(len(case.hidden) for case in run.cases)
    visible = [len(case.visible) for case in run.cases]
    write(
        f"matched by normalised name: {data.matched_artists} of {data.lastfm_artists:,} Last.fm artists "
        f"(= {data.catalog_artists_matched} catalog artists); {len(data.users):,} of "
        f"{data.lastfm_users:,} users have a matched artist, {run.eligible_users:,} have ≥ 5; "
        f"evaluated {len(run.cases)} "
        f"(seeded sample), {hidden} hidden artists, {mean([float(v) for v in visible]):.1f} visible "
        f"per user ({run.seconds:.0f} s)"
    )
    write(
        "history = visible artists as medium-term top artists (by Last.fm weight) + each one's most "
        "popular catalog track as a top track and play; hit = a top-50 track credits a hidden artist"
    )
    if run.recall_used:
        covered = sum(case.candidates_by_hidden for case in run.cases)
        share = covered / max(hidden, 1)
        write(f"recall candidates cover {covered} of {hidden} hidden artists ({share:.3f})")
    write(table(["method", "hidden-artist recall@50", "user hit rate@50"], lastfm_table(run, catalog)))
