"""Spotify library sync per demo listener against the emulator: API calls and wall time.

Run: .venv/bin/python bench/spotify_sync.py   (uses a scratch database, personalais_bench)
Prints one row per listener for a first sync and a second (incremental) sync.
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "personalais.settings.dev")
os.environ.setdefault("EMBEDDED_DATABASE_NAME", "personalais_bench")

import django

django.setup()

from django.conf import settings  # noqa: E402
from django.core.management import call_command  # noqa: E402

from accounts.models import User  # noqa: E402
from spotify import services  # noqa: E402
from tests.emulator import CLIENT_ID, LISTENERS, consented_link, emulator_starter  # noqa: E402


def main() -> None:
    call_command("migrate", verbosity=0)
    with tempfile.TemporaryDirectory() as store:
        start, started = emulator_starter(Path(store) / "store.json")
        emulator = start()
        settings.SPOTIFY_API_BASE_URL = emulator.api
        settings.SPOTIFY_ACCOUNTS_BASE_URL = f"{emulator.base}/"
        settings.SPOTIFY_CLIENT_ID = CLIENT_ID
        print(f"{'listener':<16} {'first: calls':>12} {'ms':>7} {'second: calls':>14} {'ms':>7}")
        try:
            for listener in LISTENERS:
                user, _ = User.objects.get_or_create(email=f"bench-{listener['id']}@example.com")
                consented_link(emulator, user, listener=listener)
                row = [listener["display_name"]]
                for _ in range(2):
                    began = time.perf_counter()
                    report = services.library_sync(user=user)
                    row += [report.api_calls, (time.perf_counter() - began) * 1000]
                print(f"{row[0]:<16} {row[1]:>12} {row[2]:>7.0f} {row[3]:>14} {row[4]:>7.0f}")
                user.delete()
        finally:
            for process in started:
                process.stop()


if __name__ == "__main__":
    main()
