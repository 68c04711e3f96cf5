"""Cross-app fixtures: a real Celery worker process bound to the test database."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.conf import settings

BASE_DIR = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="session")
def celery_worker_process(django_db_setup, django_db_blocker):
    """A real ``celery worker`` subprocess on the test broker and the test database.

    Tests that use it must commit their data (``django_db(transaction=True)``) so the
    worker, another process, can see it.
    """
    from personalais.celery import app

    env = dict(os.environ)
    env.update(
        DJANGO_SETTINGS_MODULE="personalais.settings.test",
        PERSONALAIS_USE_TEST_DATABASE="1",
        TEST_DATABASE_NAME=settings.DATABASES["default"]["NAME"],
        DATABASE_URL=settings.DATABASE_URL,
        REDIS_URL=settings.REDIS_URL,
    )
    app.control.purge()
    log_path = BASE_DIR / "test-artifacts" / "celery-worker.log"
    log_path.parent.mkdir(exist_ok=True)
    with open(log_path, "wb") as log:
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "personalais",
                "worker",
                "-l",
                "info",
                "--pool",
                "solo",
                "-n",
                f"test-worker-{os.getpid()}@%h",
            ],
            cwd=BASE_DIR,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        try:
            deadline = time.monotonic() + 60
            while not app.control.ping(timeout=0.5):
                if process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"the Celery worker did not start; see {log_path}")
            yield process
        finally:
            process.terminate()
            try:
                process.wait(15)
            except subprocess.TimeoutExpired:
                process.kill()
