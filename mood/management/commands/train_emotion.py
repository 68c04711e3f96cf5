"""Fine-tune the emotion model and write ``mood/weights/emotion_encoder.int8.onnx`` + ``emotion_head.npz``.

Needs the training extras (``pip install -r requirements-train.txt``); nothing else does.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from mood.emotion_data import EmotionDataError, EmotionExample, read_goemotions, read_meld
from mood.emotion_model import ENCODER_PATH, WEIGHTS_PATH, EmotionModelUnavailable, read_head, save_head
from mood.emotion_training import (
    FineTuneConfig,
    TrainingExtrasMissing,
    fine_tune_emotion_model,
    recalibrate,
    training_modules,
)

DEFAULT_DATA_DIR = Path(settings.BASE_DIR).parent / "shared" / "data"
CORPORA: dict[str, tuple[str, Callable[[Path], list[EmotionExample]]]] = {
    "goemotions": ("goemotions/ekman/train.tsv", read_goemotions),
    "meld": ("meld/train_sent_emo.csv", read_meld),
}


class Command(BaseCommand):
    help = (
        "Fine-tune MiniLM for the seven emotions on GoEmotions train + MELD train, export it as int8 "
        "ONNX and calibrate the served combination; the same inputs and seed give the same model. "
        "Needs `pip install -r requirements-train.txt` (torch); about an hour on two cores."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        defaults = FineTuneConfig()
        parser.add_argument(
            "--data-dir", type=Path, default=DEFAULT_DATA_DIR, help="holds goemotions/ and meld/"
        )
        parser.add_argument("--out", type=Path, default=WEIGHTS_PATH, help="where the head file goes")
        parser.add_argument(
            "--encoder-out",
            type=Path,
            default=None,
            help="where the int8 encoder goes (default: beside --out)",
        )
        parser.add_argument("--corpora", default="goemotions,meld", help="comma-separated: goemotions, meld")
        parser.add_argument(
            "--limit", type=int, default=0, help="use only the first N examples of each corpus"
        )
        parser.add_argument("--seed", type=int, default=defaults.seed, help="head, dropout, batch order")
        parser.add_argument(
            "--split-seed", type=int, default=defaults.split_seed, help="which slice is held out"
        )
        parser.add_argument("--epochs", type=int, default=defaults.epochs)
        parser.add_argument("--batch-size", type=int, default=defaults.batch_size)
        parser.add_argument("--learning-rate", type=float, default=defaults.learning_rate)
        parser.add_argument("--meld-weight", type=float, default=defaults.meld_weight)
        parser.add_argument(
            "--common-share",
            type=float,
            default=defaults.common_share,
            help="share of GoEmotions comments labelled only joy/neutral that are kept (1: all)",
        )
        parser.add_argument(
            "--max-steps", type=int, default=0, help="stop after N batches (0: all; a smoke test)"
        )
        parser.add_argument("--threads", type=int, default=defaults.threads, help="torch CPU threads")
        parser.add_argument(
            "--calibrate-only",
            action="store_true",
            help="keep the model at --out, only calibrate its served combination again (no torch)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["limit"] < 0 or options["max_steps"] < 0:
            raise CommandError("--limit and --max-steps must be 0 (everything) or more.")
        if not options["calibrate_only"]:
            try:
                training_modules()  # say what is missing before reading any data
            except TrainingExtrasMissing as exc:
                raise CommandError(str(exc)) from exc
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
        config = FineTuneConfig(
            epochs=options["epochs"],
            batch_size=options["batch_size"],
            learning_rate=options["learning_rate"],
            meld_weight=options["meld_weight"],
            common_share=options["common_share"],
            seed=options["seed"],
            split_seed=options["split_seed"],
            max_steps=options["max_steps"],
            threads=options["threads"],
        )
        out: Path = options["out"]
        if options["calibrate_only"]:
            self._calibrate(out, examples, options["split_seed"])
            return
        encoder_out: Path = options["encoder_out"] or out.parent / ENCODER_PATH.name
        started = time.perf_counter()
        try:
            result = fine_tune_emotion_model(
                examples, config, encoder_out=encoder_out, sources=sources, log=self.stdout.write
            )
        except TrainingExtrasMissing as exc:
            raise CommandError(str(exc)) from exc
        except ValueError as exc:
            raise CommandError(str(exc)) from exc
        path = save_head(result.head, out)
        metadata = result.head.metadata
        self.stdout.write(
            f"Examples: {json.dumps(metadata['training_data']['train']['by_source'])} trained, "
            f"{json.dumps(metadata['training_data']['held_out']['by_source'])} held out"
        )
        self.stdout.write(f"Kept epoch {result.figures['kept_epoch']}")
        self.stdout.write(f"held_out_served: {json.dumps(result.figures['held_out_served'])}")
        self.stdout.write(f"Calibrated: {json.dumps(metadata['combination'])}")
        self.stdout.write(
            f"Wrote {result.encoder_path} ({result.encoder_path.stat().st_size / 2**20:.1f} MiB) and "
            f"{path} ({path.stat().st_size / 1024:.0f} KiB) in {(time.perf_counter() - started) / 60:.1f} min"
        )

    def _calibrate(self, out: Path, examples: list[EmotionExample], split_seed: int) -> None:
        try:
            head = recalibrate(read_head(out), examples, split_seed=split_seed, log=self.stdout.write)
        except (EmotionModelUnavailable, ValueError) as exc:
            raise CommandError(str(exc)) from exc
        save_head(head, out)
        self.stdout.write(f"Calibrated: {json.dumps(head.metadata['combination'])}; wrote {out}")
