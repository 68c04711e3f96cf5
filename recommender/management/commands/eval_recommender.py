"""Offline evaluation of recall and ranking against baselines; prints tables, changes nothing.

``--moods FILE.csv`` measures mood fit on human labels instead (``evaluation.labelled_moods``):
the file becomes a scratch catalog, rolled back afterwards, so any database will do.

Each case runs in a rolled-back transaction (see ``recommender.evaluation``), so the
throwaway users, candidates and leak-guard edits never persist. Run it on a scratch database
that holds the demo catalog (``--load-demo`` loads and embeds it first, which takes minutes):
other listeners' recent plays feed the popular pool and would colour the results.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from catalog.demo import demo_catalog_load
from mood.track_mood_training import CATALOG_FILES
from recommender.evaluation.catalog import CatalogView
from recommender.evaluation.labelled_moods import LabelledMoodsOptions, labelled_moods_report
from recommender.evaluation.report import LASTFM_DIR, SECTIONS, ReportOptions, evaluation_report
from recommender.profiles import track_profiles_embed_missing


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
            default=LASTFM_DIR,
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
        parser.add_argument(
            "--moods", type=Path, help="a human mood-labelled CSV (moods_dev shape): measure mood fit on it"
        )
        parser.add_argument("--blind", action="store_true", help="with --moods: blank the audio features")
        parser.add_argument(
            "--folds",
            type=int,
            default=0,
            help="with --moods: label each track by a model trained without it (k folds), "
            "for a file the shipped model learned from",
        )
        parser.add_argument(
            "--no-ablations", action="store_true", help="with --moods: skip the per-signal contribution runs"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        started = time.perf_counter()
        if options["moods"] is not None:
            self._labelled_moods(options)
            self.stdout.write(f"total runtime: {time.perf_counter() - started:.1f} s")
            return
        sections = [name.strip() for name in options["sections"].split(",") if name.strip()]
        unknown = set(sections) - set(SECTIONS)
        if unknown:
            raise CommandError(f"unknown sections: {', '.join(sorted(unknown))}")
        if options["load_demo"]:
            self.stdout.write(demo_catalog_load().summary())
            began = time.perf_counter()
            embedded = track_profiles_embed_missing()
            self.stdout.write(f"embedded {embedded} tracks in {time.perf_counter() - began:.1f} s")
        catalog = CatalogView.load()
        if not catalog.track_ids:
            raise CommandError("No embedded tracks: run with --load-demo (or seed_demo and embed) first.")
        report = ReportOptions(
            sections=tuple(sections),
            seed=options["seed"],
            playlists=options["playlists"],
            users=options["users"],
            lastfm=options["lastfm"],
            generous=not options["no_generous"],
            genre_blind=options["genre_blind"],
        )
        evaluation_report(catalog=catalog, options=report, write=self.stdout.write)
        self.stdout.write(f"total runtime: {time.perf_counter() - started:.1f} s")

    def _labelled_moods(self, options: dict[str, Any]) -> None:
        path: Path = options["moods"]
        if not path.is_file():
            raise CommandError(f"{path} not found")
        if options["folds"] == 1 or options["folds"] < 0:
            raise CommandError("--folds must be 0 (off) or at least 2")
        labelled = LabelledMoodsOptions(
            path=path,
            blind=options["blind"],
            folds=options["folds"],
            catalog_files=CATALOG_FILES,
            ablations=not options["no_ablations"],
            seed=options["seed"],
        )
        try:
            labelled_moods_report(labelled, self.stdout.write)
        except ValueError as exc:
            raise CommandError(str(exc)) from exc
