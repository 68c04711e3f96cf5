"""Train the track mood model and write ``mood/weights/track_mood.npz`` (see ``mood.track_mood``)."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from mood.track_mood import WEIGHTS_PATH, model_save
from mood.track_mood_training import (
    CATALOG_FILES,
    LABELS_FILE,
    FoldFigures,
    catalog_examples,
    cross_validated,
    labelled_examples,
    train,
)


class Command(BaseCommand):
    help = "Learn track moods from human labels (moods_dev) and the catalog; prints k-fold figures."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--labels", type=Path, default=LABELS_FILE, help="moods CSV")
        parser.add_argument(
            "--catalog",
            type=Path,
            nargs="*",
            default=list(CATALOG_FILES),
            help="Kaggle-shaped catalog CSVs (their tracks are labelled by the feature model)",
        )
        parser.add_argument("--out", type=Path, default=WEIGHTS_PATH)
        parser.add_argument("--folds", type=int, default=5, help="k for the cross-validated figures; 0 skips")

    def handle(
        self, *args: Any, labels: Path, catalog: list[Path], out: Path, folds: int, **options: Any
    ) -> None:
        for path in [labels, *catalog]:
            if not path.is_file():
                raise CommandError(f"{path} not found")
        labelled = labelled_examples(labels)
        tracks = catalog_examples(catalog)
        self.stdout.write(f"{len(labelled)} labelled tracks, {len(tracks)} catalog tracks")
        summary = (
            f"trained on {len(labelled)} labelled tracks ({labels.name}) and {len(tracks)} catalog tracks"
        )
        if folds:
            figures = cross_validated(labelled, tracks, folds=folds)
            self.stdout.write(f"{folds}-fold, whole pipeline retrained per fold:")
            for row in figures:
                self.stdout.write("  " + _line(row))
            summary += "; " + "; ".join(_line(row) for row in figures[:3])
        model = train(labelled, tracks)
        model_save(replace(model, summary=summary), out)
        self.stdout.write(self.style.SUCCESS(f"wrote {out} ({out.stat().st_size // 1024} KiB)"))


def _line(row: FoldFigures) -> str:
    per_mood = ", ".join(f"{mood} {share:.1f}" for mood, share in row.top10.items())
    return f"{row.name}: accuracy {row.accuracy:.3f}, top-10 precision {row.top10_mean:.3f} ({per_mood})"
