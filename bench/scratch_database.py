"""The benches' scratch database: Django set up against it, the demo catalog loaded and embedded.

Importing this module configures Django (``personalais.settings.dev`` on the embedded servers,
database ``personalais_bench`` unless EMBEDDED_DATABASE_NAME or DATABASE_URL says otherwise), so
a bench never measures, or litters, the database someone develops against.
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "personalais.settings.dev")
os.environ.setdefault("EMBEDDED_DATABASE_NAME", "personalais_bench")

import django

django.setup()

from django.core.management import call_command  # noqa: E402

from catalog.demo import demo_catalog_load  # noqa: E402
from recommender.profiles import track_profiles_embed_missing  # noqa: E402


def bench_catalog_prepare() -> tuple[float, int]:
    """Migrate, load the demo catalog and embed what lacks a vector: (seconds, tracks embedded).

    Idempotent and cheap once done; the first run on a fresh database takes minutes.
    """
    began = time.perf_counter()
    call_command("migrate", verbosity=0)
    demo_catalog_load()
    embedded = track_profiles_embed_missing()
    return time.perf_counter() - began, embedded
