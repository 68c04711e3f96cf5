"""Offline evaluation of recall and ranking against baselines; prints tables, changes nothing.

Each case runs in a rolled-back transaction (see ``recommender.evaluation``), so the
throwaway users, candidates and leak-guard edits never persist. Run it on a scratch database
that holds the demo catalog (``--load-demo`` loads and embeds it first, which takes minutes):
other listeners' recent plays feed the popular pool and would colour the results.
"""

from __future__ import annotations

import math
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from recommender import evaluation as ev

SECTIONS = ("continuation", "mood", "diversity", "repetition", "lastfm")


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


class Command(BaseCommand):
    help = (
        "Evaluate recall and ranking: playlist continuation, mood fit, diversity, repetition, "
        "Last.fm artists."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--seed", type=int, default=0)
        parser.add_argument(
            "--playlists", type=int, default=0, help="catalog playlists to evaluate (0 = all eligible)"
        )
        parser.add_argument(
            "--users", type=int, default=60, help="Last.fm users to evaluate (0 = all eligible)"
        )
        parser.add_argument(
            "--lastfm",
            type=Path,
            default=Path(settings.BASE_DIR).parent / "shared" / "data" / "lastfm_hetrec2011",
            help="folder with HetRec 2011 artists.dat and user_artists.dat",
        )
        parser.add_argument(
            "--sections", default=",".join(SECTIONS), help=f"comma-separated subset of {', '.join(SECTIONS)}"
        )
        parser.add_argument(
            "--no-generous", action="store_true", help="skip the generous-pool ranker variant"
        )
        parser.add_argument(
            "--genre-blind",
            action="store_true",
            help="also run continuation without genre labels, the catalog re-embedded (a minute or more)",
        )
        parser.add_argument("--load-demo", action="store_true", help="load and embed the demo catalog first")

    def handle(self, *args: Any, **options: Any) -> None:
        started = time.perf_counter()
        sections = [name.strip() for name in options["sections"].split(",") if name.strip()]
        unknown = set(sections) - set(SECTIONS)
        if unknown:
            raise CommandError(f"unknown sections: {', '.join(sorted(unknown))}")
        if options["load_demo"]:
            self._load_demo()
        catalog = ev.CatalogView.load()
        if not catalog.track_ids:
            raise CommandError("No embedded tracks: run with --load-demo (or seed_demo and embed) first.")
        ev.throwaway_users_delete()
        recall = ev.recall_function()
        seed = options["seed"]
        generous = not options["no_generous"]
        playlist_ids, eligible, small = ev.continuation_playlists(sample=options["playlists"], seed=seed)
        self._print_config(options, catalog, recall, (len(playlist_ids), eligible, small), generous)
        try:
            continuation = None
            if {"continuation", "diversity"} & set(sections):
                continuation = ev.continuation_run(
                    catalog=catalog,
                    playlist_ids=playlist_ids,
                    seed=seed,
                    generous=generous,
                    recall=recall,
                    skipped_small=small,
                )
            if "continuation" in sections and continuation is not None:
                self._print_continuation(continuation)
            if options["genre_blind"]:
                self._genre_blind_continuation(playlist_ids, seed=seed, generous=generous, recall=recall)
            moods = None
            if {"mood", "diversity", "repetition"} & set(sections):
                moods = ev.mood_run(
                    catalog=catalog,
                    seed=seed,
                    recall=recall,
                    history_playlist_id=playlist_ids[0] if playlist_ids else None,
                )
            if "mood" in sections and moods is not None:
                self._print_moods(moods, catalog)
            if "diversity" in sections and continuation is not None and moods is not None:
                self._print_diversity(continuation, moods, catalog)
            if "repetition" in sections and moods is not None:
                self._print_repetition(moods, playlist_ids[0] if playlist_ids else None)
            if "lastfm" in sections:
                self._lastfm(options, catalog, recall, generous)
        finally:
            left = ev.throwaway_users_delete()
        self.stdout.write(
            f"\nthrowaway users left behind and deleted: {left}\n"
            f"total runtime: {time.perf_counter() - started:.1f} s"
        )

    def _load_demo(self) -> None:
        from catalog.demo import demo_catalog_load
        from recommender.profiles import track_profiles_embed_missing

        self.stdout.write(demo_catalog_load().summary())
        began = time.perf_counter()
        embedded = track_profiles_embed_missing()
        self.stdout.write(f"embedded {embedded} tracks in {time.perf_counter() - began:.1f} s")

    def _print_config(
        self,
        options: dict[str, Any],
        catalog: ev.CatalogView,
        recall: ev.RecallFunction | None,
        playlists: tuple[int, int, int],
        generous: bool,
    ) -> None:
        from recommender.services import site_weights

        weights = site_weights()
        evaluated, eligible, small = playlists
        self.stdout.write("== configuration ==")
        self.stdout.write(
            f"seed {options['seed']} · catalog {len(catalog.track_ids):,} embedded tracks · "
            f"playlists {evaluated} of {eligible} eligible ({small} with < 5 tracks skipped) · "
            f"Last.fm users {options['users'] or 'all'} · hold-out 20% · lists of 50 (10 for moods)"
        )
        self.stdout.write(
            "recall: "
            + (
                "recommender.recall.recall_candidates_for_user (artists, co-occurrence, popular)"
                if recall
                else "not available — the ranker sees only the catalog tracks nearest the mood query"
            )
        )
        self.stdout.write(
            f"ranker weights in force: α {weights.alpha} β {weights.beta} γ {weights.gamma} "
            f"fit {weights.fit} popularity {weights.popularity} recall {weights.recall} "
            f"temperature {weights.temperature} "
            f"max/artist {weights.max_per_artist} pool {weights.candidate_pool}"
        )
        if generous:
            self.stdout.write(
                f"variant 'ours, pool {ev.GENEROUS_POOL:,}': the same weights with candidate_pool "
                f"{ev.GENEROUS_POOL:,}, so every recall candidate (≤1,500) is ranked, not only the "
                f"{weights.candidate_pool} nearest the mood query (set from recall's size, not tuned)"
            )

    def _print_continuation(self, run: ev.ContinuationRun) -> None:
        hidden = sum(len(case.hidden) for case in run.cases)
        self.stdout.write(
            f"\n== (a) playlist continuation: {len(run.cases)} playlists, {hidden} hidden tracks "
            f"({run.seconds:.0f} s) =="
        )
        self.stdout.write(
            "history = the visible 80% as plays + top tracks; hidden tracks moved out of their playlist "
            "for the case (leak guard); mood = neutral at the visible tracks' mean valence/energy"
        )
        rows = ev.continuation_table(run)
        self.stdout.write(table(["method", "recall@10", "recall@50", "NDCG@10", "hit@50"], rows))
        self._print_continuation_notes(run)
        self.stdout.write(
            "caution: in the demo catalog a track's genre/subgenre is the label of the playlist it appears "
            "in most often (see the probe row), and those labels are in every mood text the ranker embeds; "
            "--genre-blind reruns this table without them"
        )

    def _print_continuation_notes(self, run: ev.ContinuationRun) -> None:
        hidden = sum(len(case.hidden) for case in run.cases)
        if run.recall_used:
            covered = sum(case.hidden_in_candidates for case in run.cases)
            share = covered / max(hidden, 1)
            self.stdout.write(
                f"recall candidates hold {covered} of {hidden} hidden tracks ({share:.3f}); "
                "the ranker also adds catalog tracks nearest the mood query"
            )
        for method in dict.fromkeys(m for case in run.cases for m in case.sources):
            hits = ev.continuation_hits_by_source(run, method)
            found = ", ".join(f"{source} {n}" for source, n in hits.most_common()) or "none"
            self.stdout.write(f"{method}: hidden tracks in the top 50 by first source: {found}")

    def _genre_blind_continuation(
        self, playlist_ids: list[int], *, seed: int, generous: bool, recall: ev.RecallFunction | None
    ) -> None:
        began = time.perf_counter()
        with ev.genre_labels_removed() as embedded:
            blind = ev.CatalogView.load()
            run = ev.continuation_run(
                catalog=blind, playlist_ids=playlist_ids, seed=seed, generous=generous, recall=recall
            )
        self.stdout.write(
            f"\n== (a′) the same, with every track's genre/subgenre removed and {embedded:,} profiles "
            f"re-embedded (rolled back; {time.perf_counter() - began:.0f} s) =="
        )
        self.stdout.write(
            table(["method", "recall@10", "recall@50", "NDCG@10", "hit@50"], ev.continuation_table(run))
        )
        self._print_continuation_notes(run)

    def _print_moods(self, run: ev.MoodRun, catalog: ev.CatalogView) -> None:
        self.stdout.write(
            f"\n== (b) mood fit, new listener (no history{', recall cold start' if run.recall_used else ''}) "
            f"({run.seconds:.0f} s incl. repetition) =="
        )
        self.stdout.write(
            "in region = valence/energy within the target region's width of its centre "
            "(target_region(v, a), strategy match); 5 lists of 10 per method, averaged"
        )
        rows = [
            (mood, method, base, share, distance)
            for mood, _, base, method, share, distance in ev.mood_table(run, catalog)
        ]
        targets = []
        for case in run.cases:
            target, region = case.target, case.target.region
            targets.append(
                f"  {target.name:<9} “{target.text}” → {target.label} (v {target.valence:+.1f}, "
                f"a {target.arousal:+.1f}) → centre ({region.valence:.2f}, {region.energy:.2f}) "
                f"width {region.width:.2f}"
            )
        self.stdout.write("\n".join(targets))
        self.stdout.write(
            table(["mood", "method", "catalog in region", "top-10 in region", "mean distance"], rows)
        )
        overall = {}
        for method in dict.fromkeys(row[1] for row in rows):
            overall[method] = ev.mean([row[3] for row in rows if row[1] == method])
        self.stdout.write(
            "mean over moods: " + ", ".join(f"{method} {value:.3f}" for method, value in overall.items())
        )

    def _print_diversity(
        self, continuation: ev.ContinuationRun, moods: ev.MoodRun, catalog: ev.CatalogView
    ) -> None:
        self.stdout.write("\n== (c) diversity of the top 10 ==")
        self.stdout.write(
            "distinct lead artists per 10; intra-list distance = mean 1 − cosine between track embeddings"
        )
        by_method: dict[str, list[list[int]]] = {}
        for case in continuation.cases:
            for method, ids in case.lists.items():
                by_method.setdefault(method, []).append(ids)
        rows = [("playlist continuation", *row) for row in ev.diversity_rows(catalog, by_method)]
        by_mood: dict[str, list[list[int]]] = {}
        for mood_case in moods.cases:
            for method, lists in mood_case.lists.items():
                by_mood.setdefault(method, []).extend(lists)
        rows += [("mood, new listener", *row) for row in ev.diversity_rows(catalog, by_mood)]
        self.stdout.write(table(["lists", "method", "distinct artists", "intra-list distance"], rows))

    def _print_repetition(self, run: ev.MoodRun, history_playlist: int | None) -> None:
        self.stdout.write("\n== (d) repetition: Jaccard between two consecutive top-10 lists, same mood ==")
        if history_playlist is not None:
            self.stdout.write(
                f"'with history' = plays of every track of catalog playlist #{history_playlist}"
            )
        methods = list(dict.fromkeys(m for case in run.repetition for m in case.jaccard))
        rows = [(case.mood, case.persona, *(case.jaccard[m] for m in methods)) for case in run.repetition]
        for persona in dict.fromkeys(case.persona for case in run.repetition):
            rows.append(
                (
                    "mean",
                    persona,
                    *(
                        ev.mean([c.jaccard[m] for c in run.repetition if c.persona == persona])
                        for m in methods
                    ),
                )
            )
        self.stdout.write(table(["mood", "listener", *methods], rows))

    def _lastfm(
        self,
        options: dict[str, Any],
        catalog: ev.CatalogView,
        recall: ev.RecallFunction | None,
        generous: bool,
    ) -> None:
        from catalog.models import Artist

        path: Path = options["lastfm"]
        self.stdout.write("\n== (e) artist-level personalization, Last.fm HetRec 2011 ==")
        if not (path / "artists.dat").is_file() or not (path / "user_artists.dat").is_file():
            self.stdout.write(f"skipped: no artists.dat / user_artists.dat under {path}")
            return
        data = ev.lastfm_read(path, catalog_artists=dict(Artist.objects.values_list("pk", "name")))
        run = ev.lastfm_run(
            catalog=catalog,
            data=data,
            users=options["users"],
            seed=options["seed"],
            generous=generous,
            recall=recall,
        )
        hidden = sum(len(case.hidden) for case in run.cases)
        visible = [len(case.visible) for case in run.cases]
        self.stdout.write(
            f"matched by normalised name: {data.matched_artists} of {data.lastfm_artists:,} Last.fm artists "
            f"(= {data.catalog_artists_matched} catalog artists); {len(data.users):,} of "
            f"{data.lastfm_users:,} users have a matched artist, {run.eligible_users:,} have ≥ 5; "
            f"evaluated {len(run.cases)} "
            f"(seeded sample), {hidden} hidden artists, {ev.mean([float(v) for v in visible]):.1f} visible "
            f"per user ({run.seconds:.0f} s)"
        )
        self.stdout.write(
            "history = visible artists as medium-term top artists (by Last.fm weight) + each one's most "
            "popular catalog track as a top track and play; hit = a top-50 track credits a hidden artist"
        )
        if run.recall_used:
            covered = sum(case.candidates_by_hidden for case in run.cases)
            share = covered / max(hidden, 1)
            self.stdout.write(f"recall candidates cover {covered} of {hidden} hidden artists ({share:.3f})")
        rows = ev.lastfm_table(run, catalog)
        self.stdout.write(table(["method", "hidden-artist recall@50", "user hit rate@50"], rows))
