"""Write an eval CSV (``dialogue_id,turn,text,label``) from a split of the shared emotion data."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from mood.emotion_data import EmotionDataError, read_goemotions, read_meld, write_eval_csv

from .train_emotion import DEFAULT_DATA_DIR

SPLITS = {
    "goemotions-test": "goemotions/ekman/test.tsv",
    "goemotions-dev": "goemotions/ekman/dev.tsv",
    "meld-dev": "meld/dev_sent_emo.csv",
}


class Command(BaseCommand):
    help = (
        "Export GoEmotions test/dev or MELD dev as an eval CSV. GoEmotions rows with several "
        "labels are skipped: an evaluation needs one gold label per row."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--split", choices=sorted(SPLITS), required=True)
        parser.add_argument("--out", type=Path, required=True, help="the CSV to write (keep it out of git)")
        parser.add_argument(
            "--data-dir", type=Path, default=DEFAULT_DATA_DIR, help="holds goemotions/ and meld/"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        source = options["data_dir"] / SPLITS[options["split"]]
        try:
            if options["split"].startswith("goemotions"):
                examples = read_goemotions(source, multi_label="skip")
                skipped = _line_count(source) - len(examples)
            else:
                examples = read_meld(source)
                skipped = 0
        except EmotionDataError as exc:
            raise CommandError(str(exc)) from exc
        count = write_eval_csv(examples, options["out"])
        note = f" (skipped {skipped} rows with several labels)" if skipped else ""
        self.stdout.write(f"Wrote {count} rows to {options['out']}{note}")


def _line_count(path: Path) -> int:
    with path.open(encoding="utf-8") as handle:
        return sum(1 for line in handle if line.strip())
