"""Cross-app fixtures: a real Celery worker process bound to the test database."""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.conf import settings

BASE_DIR = Path(__file__).resolve().parent.parent


@contextlib.contextmanager
def celery_worker(**extra_env: str) -> Iterator[subprocess.Popen]:
    """Run ``celery worker`` as a subprocess on the test broker and the *test* database.

    Call it after the test database exists. Tests must commit what the worker should see
    (``django_db(transaction=True)`` or a TransactionTestCase): the worker is another process.
    """
    from personalais.celery import app

    env = dict(os.environ)
    env.update(
        DJANGO_SETTINGS_MODULE="personalais.settings.test",
        PERSONALAIS_USE_TEST_DATABASE="1",
        TEST_DATABASE_NAME=settings.DATABASES["default"]["NAME"],
        DATABASE_URL=settings.DATABASE_URL,
        REDIS_URL=settings.REDIS_URL,
        **extra_env,
    )
    app.control.purge()
    log_path = BASE_DIR / "test-artifacts" / "celery-worker.log"
    log_path.parent.mkdir(exist_ok=True)
    with open(log_path, "ab") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "personalais", "worker", "-l", "info", "--pool", "solo",
             "-n", f"test-worker-{os.getpid()}-{time.monotonic_ns()}@%h"],
            cwd=BASE_DIR, env=env, stdout=log, stderr=subprocess.STDOUT,
        )  # fmt: skip
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


@pytest.fixture(scope="session")
def celery_worker_process(django_db_setup, django_db_blocker):
    with celery_worker() as process:
        yield process
