"""``manage.py import_catalog FILE.csv [...]``: upsert tracks and playlists from Kaggle-schema CSVs.

The import announces the tracks it wrote, and those elsewhere whose genre or explicit estimate
it changed (``catalog.signals.tracks_written``): the
recommender then embeds their profiles in a Celery task once the import has committed (so the
worker sees the rows), or here, before the command ends, with ``--embed-now``.
"""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction

from catalog.csv_rows import REQUIRED_COLUMNS
from catalog.services import catalog_import_rows
from catalog.signals import tracks_written


class Command(BaseCommand):
    help = "Import tracks, artists, albums and catalog playlists from Kaggle 'Spotify Music Data' CSVs."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("files", nargs="+", type=Path, metavar="FILE.csv")
        parser.add_argument(
            "--embed-now", action="store_true", help="embed track profiles here instead of in the worker"
        )

    def handle(self, *args: Any, files: list[Path], embed_now: bool, **options: Any) -> None:
        rows = [row for path in files for row in _read_rows(path)]
        with transaction.atomic():
            result = catalog_import_rows(rows)
            if not embed_now:
                followed = tracks_written.send(sender=Command, track_ids=result.changed_pks, wait=False)
        if embed_now:
            followed = tracks_written.send(sender=Command, track_ids=result.changed_pks, wait=True)
        done = "".join(f"; {said}" for _, said in followed if said)
        self.stdout.write(f"imported {len(files)} file(s): {result.summary()}{done}")


def _read_rows(path: Path) -> list[dict[str, str]]:
    """All rows of one CSV; CommandError when it is missing or lacks the needed columns."""
    try:
        with path.open(encoding="utf-8-sig", newline="") as fh:
            reader = csv.DictReader(fh)
            missing = REQUIRED_COLUMNS - set(reader.fieldnames or ())
            if missing:
                columns = ", ".join(sorted(missing))
                raise CommandError(f"{path} lacks the Kaggle 'Spotify Music Data' columns {columns}")
            return list(reader)
    except FileNotFoundError:
        raise CommandError(f"{path}: no such file") from None
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise CommandError(f"{path}: cannot read CSV ({exc})") from exc
