"""Score an emotion model on a ``dialogue_id,turn,text,label`` CSV: figures and a confusion matrix."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from mood.emotion_data import EmotionDataError, read_eval_csv
from mood.emotion_metrics import confusion_table, score_labels, summary_lines
from mood.emotion_model import WEIGHTS_PATH, EmotionModelUnavailable, predict_proba, read_head
from mood.labels import LABELS
from mood.perception import mood_from_text_lexicon, mood_probabilities

MODELS = ("combined", "trained", "lexicon")


class Command(BaseCommand):
    help = (
        "Evaluate the served model (combined), the trained head alone (trained) or the lexicon "
        "baseline on an eval CSV; each row's context is its dialogue's earlier turns."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--data", type=Path, required=True, help="CSV with dialogue_id,turn,text,label")
        parser.add_argument("--model", choices=MODELS, default="combined")
        parser.add_argument("--weights", type=Path, default=WEIGHTS_PATH, help="the head's weights file")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            examples = read_eval_csv(options["data"])
        except EmotionDataError as exc:
            raise CommandError(str(exc)) from exc
        if not examples:
            raise CommandError(f"{options['data']}: no rows to evaluate")
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
        self.stdout.write(f"Model: {model}   data: {options['data']}   ({elapsed:.1f} s)")
        for line in summary_lines(scores):
            self.stdout.write(line)
        self.stdout.write("Confusion matrix (rows = gold, columns = predicted):")
        self.stdout.write(confusion_table(scores))
