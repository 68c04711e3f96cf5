"""``manage.py seed_demo``: the demo catalog, five demo listeners and their track profiles.

Safe to run on every start: a second run finds everything in place and changes nothing.
"""

from __future__ import annotations

import time
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from catalog.demo import demo_catalog_load
from catalog.demo_files import DemoFileError
from catalog.signals import tracks_written
from spotify.demo_listeners import DEMO_PASSWORD, DemoDataError, demo_listeners_load


class Command(BaseCommand):
    help = "Load the demo catalog and listeners (idempotent), then embed tracks whose mood text changed."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument(
            "--skip-profiles",
            action="store_true",
            help="load data only; leave embedding to the worker's periodic task",
        )
        parser.add_argument(
            "--with-listeners",
            action="store_true",
            help="also create the demo listeners locally with their libraries (offline evaluation; "
            "the demo itself signs them in through the emulator)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            catalog = demo_catalog_load()
            listeners = demo_listeners_load() if options["with_listeners"] else None
        except (DemoFileError, DemoDataError) as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(catalog.summary())
        if not options["skip_profiles"]:
            started = time.perf_counter()
            # The whole catalog (None): tracks Spotify sync added since the last run get profiles too.
            for _, said in tracks_written.send(sender=Command, track_ids=None, wait=True):
                self.stdout.write(f"{said} in {time.perf_counter() - started:.1f} s")
        if listeners is None:
            self.stdout.write(
                "Demo listeners live in the Spotify emulator: use “Log in with Spotify” "
                "and pick one on its consent page."
            )
            return
        self.stdout.write(listeners.summary())
        self.stdout.write(f"Demo logins without Spotify (password {DEMO_PASSWORD!r}):")
        for listener in listeners.listeners:
            self.stdout.write(f"  {listener.email:<32} {listener.display_name}")
