"""Train the emotion head (MiniLM features → 7 labels) and write ``mood/weights/emotion_head.npz``."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from mood.emotion_data import EmotionDataError, EmotionExample, read_goemotions, read_meld
from mood.emotion_model import RECIPES, WEIGHTS_PATH, save_head
from mood.emotion_training import DEFAULT_CACHE_DIR, HeadConfig, train_emotion_head

DEFAULT_DATA_DIR = Path(settings.BASE_DIR).parent / "shared" / "data"
CORPORA: dict[str, tuple[str, Callable[[Path], list[EmotionExample]]]] = {
    "goemotions": ("goemotions/ekman/train.tsv", read_goemotions),
    "meld": ("meld/train_sent_emo.csv", read_meld),
}


class Command(BaseCommand):
    help = (
        "Train the emotion head on GoEmotions train + MELD train; same inputs and seed give the same weights."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        defaults = HeadConfig()
        parser.add_argument(
            "--data-dir", type=Path, default=DEFAULT_DATA_DIR, help="holds goemotions/ and meld/"
        )
        parser.add_argument("--out", type=Path, default=WEIGHTS_PATH, help="where the weights file goes")
        parser.add_argument("--corpora", default="goemotions,meld", help="comma-separated: goemotions, meld")
        parser.add_argument(
            "--limit", type=int, default=0, help="use only the first N examples of each corpus"
        )
        parser.add_argument(
            "--seed", type=int, default=defaults.seed, help="initial weights, minibatch order"
        )
        parser.add_argument(
            "--split-seed", type=int, default=defaults.split_seed, help="which slice is held out"
        )
        parser.add_argument("--recipe", choices=sorted(RECIPES), default=defaults.recipe)
        parser.add_argument(
            "--hidden", type=int, default=defaults.hidden, help="0: logistic; N: one ReLU layer"
        )
        parser.add_argument("--meld-weight", type=float, default=defaults.meld_weight)
        parser.add_argument("--l2", type=float, default=defaults.l2)
        parser.add_argument("--learning-rate", type=float, default=defaults.learning_rate)
        parser.add_argument("--max-epochs", type=int, default=defaults.max_epochs)
        parser.add_argument("--cache-dir", type=Path, default=DEFAULT_CACHE_DIR, help="embedding cache")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["limit"] < 0:
            raise CommandError("--limit must be 0 (everything) or more.")
        examples, sources = [], {}
        for name in [part.strip() for part in options["corpora"].split(",") if part.strip()]:
            if name not in CORPORA:
                raise CommandError(f"Unknown corpus {name!r}; known: {', '.join(CORPORA)}.")
            relative, reader = CORPORA[name]
            try:
                rows = reader(options["data_dir"] / relative)
            except EmotionDataError as exc:
                raise CommandError(str(exc)) from exc
            examples.extend(rows[: options["limit"]] if options["limit"] else rows)
            sources[name] = relative
        config = HeadConfig(
            recipe=options["recipe"],
            hidden=options["hidden"],
            l2=options["l2"],
            learning_rate=options["learning_rate"],
            max_epochs=options["max_epochs"],
            meld_weight=options["meld_weight"],
            seed=options["seed"],
            split_seed=options["split_seed"],
        )
        verbose = options["verbosity"] > 1
        try:
            result = train_emotion_head(
                examples,
                config,
                cache_dir=options["cache_dir"],
                sources=sources,
                log=self.stdout.write if verbose else None,
            )
        except ValueError as exc:
            raise CommandError(str(exc)) from exc
        path = save_head(result.head, options["out"])
        metadata = result.head.metadata
        self.stdout.write(
            f"Examples: {json.dumps(metadata['training_data']['train']['by_source'])} trained, "
            f"{json.dumps(metadata['training_data']['held_out']['by_source'])} held out"
        )
        for name, figures in result.figures.items():
            self.stdout.write(f"{name}: {json.dumps(figures) if isinstance(figures, dict) else figures}")
        self.stdout.write(f"Calibrated: {json.dumps(metadata['combination'])}")
        self.stdout.write(f"Wrote {path} ({path.stat().st_size / 1024:.0f} KiB)")
