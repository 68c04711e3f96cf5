"""Cross-app fixtures: a real Celery worker and a real daphne server, bound to the test database."""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.conf import settings

from personalais.celery import app

BASE_DIR = Path(__file__).resolve().parent.parent


@contextlib.contextmanager
def celery_worker(**extra_env: str) -> Iterator[subprocess.Popen]:
    """Run ``celery worker`` as a subprocess on the test broker and the *test* database.

    Call it after the test database exists. Tests must commit what the worker should see
    (``django_db(transaction=True)`` or a TransactionTestCase): the worker is another process.
    """
    env = _subprocess_env(**extra_env)
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
            _stop(process)


def _stop(process: subprocess.Popen) -> None:
    process.terminate()
    try:
        process.wait(15)
    except subprocess.TimeoutExpired:
        process.kill()


def _subprocess_env(**extra_env: str) -> dict[str, str]:
    """The environment of a server/worker subprocess bound to the *test* database and broker."""
    env = dict(os.environ)
    env.update(
        DJANGO_SETTINGS_MODULE="personalais.settings.test",
        PERSONALAIS_USE_TEST_DATABASE="1",
        TEST_DATABASE_NAME=settings.DATABASES["default"]["NAME"],
        DATABASE_URL=settings.DATABASE_URL,
        REDIS_URL=settings.REDIS_URL,
    )
    env.update(extra_env)  # a test may point a server at its own Redis
    return env


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextlib.contextmanager
def daphne_server(**extra_env: str) -> Iterator[str]:
    """Run daphne (``personalais.asgi``) as a subprocess on the *test* database; yields ``host:port``.

    The real server a listener's browser talks to: tests connect with a real WebSocket client,
    so the handshake, origin check and session cookie are all in play.
    Tests must commit what the server should see (``django_db(transaction=True)``).
    """
    port = _free_port()
    log_path = BASE_DIR / "test-artifacts" / "daphne.log"
    log_path.parent.mkdir(exist_ok=True)
    command = [sys.executable, "-m", "daphne", "-b", "127.0.0.1", "-p", str(port)]
    command.append("personalais.asgi:application")
    with open(log_path, "ab") as log:
        process = subprocess.Popen(
            command,
            cwd=BASE_DIR, env=_subprocess_env(**extra_env), stdout=log, stderr=subprocess.STDOUT,
        )  # fmt: skip
        try:
            deadline = time.monotonic() + 60
            while True:
                with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=0.5):
                    break
                if process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"daphne did not start; see {log_path}")
                time.sleep(0.1)
            yield f"127.0.0.1:{port}"
        finally:
            _stop(process)


@pytest.fixture(scope="session")
def celery_worker_process(django_db_setup, django_db_blocker):
    with celery_worker() as process:
        yield process
