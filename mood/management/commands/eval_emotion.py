"""Score an emotion model on MELD dev and GoEmotions test (default), or on an eval CSV."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from mood.emotion_data import EmotionDataError, EmotionExample, read_eval_csv, read_goemotions, read_meld
from mood.emotion_metrics import confusion_table, score_labels, summary_lines
from mood.emotion_model import WEIGHTS_PATH, EmotionModelUnavailable, predict_proba, read_head
from mood.labels import LABELS
from mood.perception import mood_from_text_lexicon, mood_probabilities

from .train_emotion import DEFAULT_DATA_DIR

MODELS = ("combined", "trained", "lexicon")
# The standard measurements; neither split is trained or calibrated on.
STANDARD = {
    "MELD dev": "meld/dev_sent_emo.csv",
    "GoEmotions ekman test (rows with one label)": "goemotions/ekman/test.tsv",
}


class Command(BaseCommand):
    help = (
        "Evaluate the served model (combined: model + mood words + calibration), the fine-tuned model "
        "alone (trained) or the lexicon baseline, on MELD dev and GoEmotions test (default) or on "
        "--data CSV; each row's context is its dialogue's earlier turns."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--data", type=Path, help="CSV with dialogue_id,turn,text,label (default: both)")
        parser.add_argument(
            "--data-dir", type=Path, default=DEFAULT_DATA_DIR, help="holds goemotions/ and meld/"
        )
        parser.add_argument("--model", choices=MODELS, default="combined")
        parser.add_argument("--weights", type=Path, default=WEIGHTS_PATH, help="the head's file")
        parser.add_argument("--no-confusion", action="store_true", help="figures only")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            if options["data"]:
                sets = {str(options["data"]): read_eval_csv(options["data"])}
            else:
                root: Path = options["data_dir"]
                meld, goemotions = STANDARD.values()
                sets = dict(
                    zip(
                        STANDARD,
                        (read_meld(root / meld), read_goemotions(root / goemotions, multi_label="skip")),
                        strict=True,
                    )
                )
        except EmotionDataError as exc:
            raise CommandError(str(exc)) from exc
        for name, examples in sets.items():
            if not examples:
                raise CommandError(f"{name}: no rows to evaluate")
            self._evaluate(name, examples, options)

    def _evaluate(self, name: str, examples: list[EmotionExample], options: dict[str, Any]) -> None:
        texts = [example.text for example in examples]
        contexts = [list(example.context) for example in examples]
        started = time.perf_counter()
        model = options["model"]
        if model == "lexicon":
            predicted = [
                mood_from_text_lexicon(text, context).label
                for text, context in zip(texts, contexts, strict=True)
            ]
        else:
            try:
                head = read_head(options["weights"])
            except EmotionModelUnavailable as exc:
                raise CommandError(str(exc)) from exc
            proba = (
                predict_proba(texts, contexts, head=head)
                if model == "trained"
                else mood_probabilities(texts, contexts, head=head)
            )
            predicted = [LABELS[index] for index in proba.argmax(axis=1)]
        elapsed = time.perf_counter() - started
        scores = score_labels([example.label for example in examples], predicted)
        self.stdout.write(f"Model: {model}   data: {name}   ({elapsed:.1f} s)")
        for line in summary_lines(scores):
            self.stdout.write(line)
        if not options["no_confusion"]:
            self.stdout.write("Confusion matrix (rows = gold, columns = predicted):")
            self.stdout.write(confusion_table(scores))
