"""Faults against the real processes: what the listener sees, and that nothing written is lost.

Each test runs a real daphne (and, where it matters, its own valkey) on the test database and
breaks one part for real: valkey killed and started again, daphne killed mid-conversation and
started again. Spotify 429 / 5xx / latency / revoked tokens are in ``spotify/tests`` and
``chat/tests/test_agent_trust.py``; the LLM's slow first token in ``chat/tests/test_llm.py``; a
database that refuses writes in ``tests/test_chat_socket.py``; ``make run``'s supervision in
``personalais/tests/test_stack.py``.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import psutil
import psycopg
import pytest
from django.db import connection
from django.test import Client
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import connect
from websockets.typing import Origin

from chat.models import Message
from personalais import embedded
from personalais.celery import app as celery_app
from spotify.models import LibrarySync, TopTrack
from spotify.tasks import sync_library
from tests.conftest import _subprocess_env, daphne_server
from tests.emulator import CLIENT_ID, consented_link

pytestmark = pytest.mark.django_db(transaction=True)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextmanager
def own_valkey(directory: Path) -> Iterator[tuple[str, Callable[[], None], Callable[[], None]]]:
    """A valkey of this test's own (so killing it touches nobody else); (url, kill, start)."""
    port = _free_port()
    embedded._start_valkey(directory, "127.0.0.1", port)

    def kill() -> None:
        pid = int((directory / "valkey.pid").read_text())
        os.kill(pid, signal.SIGKILL)
        (directory / "valkey.pid").unlink(missing_ok=True)

    try:
        yield (
            f"redis://127.0.0.1:{port}/0",
            kill,
            lambda: embedded._start_valkey(directory, "127.0.0.1", port),
        )
    finally:
        pid_file = directory / "valkey.pid"
        if pid_file.exists():
            os.kill(int(pid_file.read_text()), signal.SIGTERM)


def _cookie(user) -> str:
    client = Client()
    client.force_login(user)
    return f"sessionid={client.cookies['sessionid'].value}"


def _turn(ws, text: str) -> list[dict]:
    ws.send(json.dumps({"type": "message", "text": text}))
    events: list[dict] = []
    while not events or events[-1]["type"] != "done":
        events.append(json.loads(ws.recv(timeout=30)))
    return events


def _open(address: str, cookie: str):
    ws = connect(
        f"ws://{address}/ws/chat/",
        origin=Origin(f"http://{address}"),
        additional_headers={"Cookie": cookie},
        open_timeout=10,
        legacy=True,  # a plain connection
    )
    history = json.loads(ws.recv(timeout=10))
    return ws, history


def test_redis_killed_and_back_chat_goes_on_and_every_turn_is_stored(alice, small_catalog, tmp_path):
    cookie = _cookie(alice)
    with own_valkey(tmp_path) as (url, kill, start), daphne_server(REDIS_URL=url) as address:
        ws, _ = _open(address, cookie)
        said = []
        for phase in ("before", "while redis is dead", "after it is back"):
            if phase == "while redis is dead":
                kill()
                time.sleep(0.5)
            elif phase == "after it is back":
                start()
            for n in range(3):
                text = f"play something calm ({phase} {n})"
                events = _turn(ws, text)
                said.append(text)
                kinds = [e["type"] for e in events]
                assert "message" in kinds and "error" not in kinds, (phase, events)
        ws.close()
    stored = list(Message.objects.filter(role="user").values_list("text", flat=True))
    assert stored == said  # all nine, in order: nothing lost while Redis was away


def _kill_server_on(address: str) -> None:
    port = int(address.rsplit(":", 1)[1])
    for process in psutil.Process().children(recursive=True):
        with contextlib.suppress(psutil.Error):
            if any(c.laddr and c.laddr.port == port for c in process.net_connections(kind="tcp")):
                process.kill()  # SIGKILL: no goodbye, no cleanup
                process.wait(10)
                return
    raise AssertionError(f"nothing listens on {address}")


def test_daphne_killed_mid_turn_what_was_said_is_kept_and_a_new_one_carries_on(alice, small_catalog):
    cookie = _cookie(alice)
    with daphne_server() as address:
        ws, _ = _open(address, cookie)
        _turn(ws, "I feel a bit down today")
        ws.send(json.dumps({"type": "message", "text": "yes please"}))
        while json.loads(ws.recv(timeout=30))["type"] != "mood":
            pass  # the mood event: the message is stored, the agent is at work
        _kill_server_on(address)
        with pytest.raises(ConnectionClosed):
            ws.recv(timeout=10)  # the listener's socket drops; the page reconnects
    with daphne_server() as address:
        ws, history = _open(address, cookie)
        texts = [m["text"] for m in history["messages"] if m["role"] == "user"]
        assert texts == ["I feel a bit down today", "yes please"]  # both kept
        events = _turn(ws, "play something calm")
        assert any(e["type"] == "tracks" for e in events)
        ws.close()


@contextmanager
def prefork_worker(**extra_env: str) -> Iterator[psutil.Process]:
    """A Celery worker with a pool child (prefork, one process), as production runs it."""
    env = _subprocess_env(**extra_env)
    log_path = Path(__file__).resolve().parent.parent / "test-artifacts" / "celery-prefork.log"
    with open(log_path, "ab") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "personalais", "worker", "-l", "info",
             "--pool", "prefork", "--concurrency", "1", "-n", f"prefork-{time.monotonic_ns()}@%h"],
            cwd=Path(__file__).resolve().parent.parent, env=env, stdout=log, stderr=subprocess.STDOUT,
        )  # fmt: skip
        try:
            deadline = time.monotonic() + 60
            while not celery_app.control.ping(timeout=0.5):
                assert process.poll() is None and time.monotonic() < deadline, f"no worker; see {log_path}"
            yield psutil.Process(process.pid)
        finally:
            process.terminate()
            with contextlib.suppress(subprocess.TimeoutExpired):
                process.wait(20)
            if process.poll() is None:
                process.kill()


def test_a_worker_process_killed_mid_sync_the_sync_is_redone_not_left_running(spotify_at, alice):
    consented_link(spotify_at, alice)
    spotify_at.fault(latency_ms=1500, path="/v1/me/top", count=3)  # a sync that takes a few seconds
    celery_app.control.purge()
    spotify = {
        "SPOTIFY_API_BASE_URL": spotify_at.api,
        "SPOTIFY_ACCOUNTS_BASE_URL": f"{spotify_at.base}/",
        "SPOTIFY_CLIENT_ID": CLIENT_ID,
        "SPOTIFY_CLIENT_SECRET": "",
    }
    with prefork_worker(**spotify) as worker:
        sync_library.delay(alice.pk)
        deadline = time.monotonic() + 30
        while LibrarySync.objects.filter(user=alice, state=LibrarySync.State.RUNNING).count() == 0:
            assert time.monotonic() < deadline, "the sync never started"
            time.sleep(0.1)
        (child,) = worker.children()
        child.kill()  # SIGKILL the process running the sync, mid-sync
        deadline = time.monotonic() + 90
        while LibrarySync.objects.get(user=alice).state != LibrarySync.State.DONE:
            assert time.monotonic() < deadline, LibrarySync.objects.get(user=alice).state
            time.sleep(0.5)
    assert TopTrack.objects.filter(user=alice).exists()


def _database_reachable(on: bool) -> None:
    """PostgreSQL refuses (and drops) the server's connections to the test database, or takes them again.

    Said from the maintenance database: a database cannot bar connections to itself.
    """
    name = connection.settings_dict["NAME"]
    params = {**connection.get_connection_params(), "dbname": "postgres"}
    params.pop("cursor_factory", None)
    params.pop("context", None)
    with psycopg.connect(**params, autocommit=True) as admin:
        admin.execute(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS {"true" if on else "false"}')
        if not on:
            admin.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s AND pid <> %s",
                [name, connection.connection.info.backend_pid],  # not this test's own
            )


def test_postgres_away_and_back_the_listener_is_told_and_nothing_is_claimed_saved(alice, small_catalog):
    cookie = _cookie(alice)
    with daphne_server() as address:
        ws, _ = _open(address, cookie)
        assert any(e["type"] == "message" for e in _turn(ws, "hello"))
        _database_reachable(False)
        try:
            for n in range(3):
                events = _turn(ws, f"play something calm ({n})")
                (error,) = [e for e in events if e["type"] == "error"]
                assert error["code"] == "not_saved", events  # said plainly; never "your message is saved"
        finally:
            _database_reachable(True)
        events = _turn(ws, "play something calm (back)")  # the same socket, once PostgreSQL is back
        assert any(e["type"] == "tracks" for e in events), events
        ws.close()
    stored = list(Message.objects.filter(role="user").values_list("text", flat=True))
    assert stored == ["hello", "play something calm (back)"]
