"""`manage.py check --deploy` is clean under production settings with a proper environment."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from django.conf import settings

BASE_DIR = Path(__file__).resolve().parent.parent


def _run_check(**overrides: str) -> subprocess.CompletedProcess:
    env = {key: value for key, value in os.environ.items() if not key.startswith(("DJANGO_", "EMBEDDED_"))}
    env.update(
        DJANGO_SETTINGS_MODULE="personalais.settings.prod",
        SECRET_KEY="k3y-" + "x7Qp9zLm2vB8nR4tW6yH1cF5jD0gK3sA" * 2,
        FIELD_ENCRYPTION_KEY="a-production-field-key",
        DATABASE_URL=settings.DATABASE_URL,
        REDIS_URL=settings.REDIS_URL,
        ALLOWED_HOSTS="music.example.com",
        SPOTIFY_CLIENT_ID="a-spotify-client-id",
    )
    env.update(overrides)
    return subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_check_deploy_is_clean_under_production_settings():
    result = _run_check()
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_production_refuses_to_start_without_a_secret_key():
    env = {key: value for key, value in os.environ.items() if key not in ("SECRET_KEY", "SECRET_KEY_FILE")}
    env.update(
        DJANGO_SETTINGS_MODULE="personalais.settings.prod",
        DATABASE_URL=settings.DATABASE_URL,
        REDIS_URL=settings.REDIS_URL,
        FIELD_ENCRYPTION_KEY="k",
    )
    result = subprocess.run(
        [sys.executable, "-c", "import django; django.setup()"],
        cwd=BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode != 0
    assert "Set the environment variable SECRET_KEY" in result.stderr
