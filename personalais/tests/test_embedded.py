"""The embedded servers: reused when running, clear errors when they cannot start."""

from __future__ import annotations

import os
import socket
import subprocess
import sys

import pytest

from personalais import embedded

BASE_DIR = embedded.BASE_DIR


def test_postgres_url_is_idempotent_and_reuses_the_running_server():
    first = embedded.postgres_url("personalais")
    second = embedded.postgres_url("personalais")
    assert first == second
    assert "host=" in first


def test_a_port_taken_by_another_program_gives_a_clear_error(tmp_path, monkeypatch):
    monkeypatch.setenv("PERSONALAIS_STATE_DIR", str(tmp_path))
    with socket.socket() as squatter:
        squatter.bind(("127.0.0.1", 0))
        squatter.listen()
        port = squatter.getsockname()[1]
        with pytest.raises(embedded.EmbeddedServiceError, match=f"Port {port} .* used by another program"):
            embedded.redis_url(port=port)


def test_an_unwritable_state_dir_gives_a_clear_error(tmp_path, monkeypatch):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a directory")
    monkeypatch.setenv("PERSONALAIS_STATE_DIR", str(blocker / "state"))
    with pytest.raises(embedded.EmbeddedServiceError, match="Cannot create the state directory"):
        embedded.state_dir()


def test_a_fresh_state_dir_gets_its_own_redis_that_stops_cleanly(tmp_path, monkeypatch):
    monkeypatch.setenv("PERSONALAIS_STATE_DIR", str(tmp_path))
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    url = embedded.redis_url(port=port)
    assert url == f"redis://127.0.0.1:{port}/0"
    pid = (tmp_path / "valkey" / "valkey.pid").read_text()
    assert embedded.redis_url(port=port, db=1) == f"redis://127.0.0.1:{port}/1"
    assert (tmp_path / "valkey" / "valkey.pid").read_text() == pid, "a second call must reuse, not restart"
    assert embedded.stop_redis() is True
    assert not embedded.redis_ping("127.0.0.1", port)


def _manage(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_commands_that_need_no_redis_run_while_its_port_is_taken(tmp_path):
    """``eval_emotion`` scores a file; it must not fail because another checkout's Redis holds the port."""
    data = tmp_path / "tiny.csv"
    data.write_text(
        "dialogue_id,turn,text,label\n1,0,I am so happy today,joy\n1,1,I feel sad and alone,sadness\n"
    )
    env = {
        key: value for key, value in os.environ.items() if key not in {"REDIS_URL", "EMBEDDED_REDIS_START"}
    }
    with socket.socket() as squatter:
        squatter.bind(("127.0.0.1", 0))
        squatter.listen()
        env.update(
            EMBEDDED_REDIS_PORT=str(squatter.getsockname()[1]),
            DJANGO_SETTINGS_MODULE="personalais.settings.dev",
        )

        scored = _manage("eval_emotion", "--data", str(data), "--model", "lexicon", env=env)
        needs_redis = _manage("showmigrations", "catalog", env=env)

    assert scored.returncode == 0, scored.stderr
    assert "n=2  accuracy=1.0000" in scored.stdout
    # A command that does use Redis still says plainly why it cannot start.
    assert needs_redis.returncode == 1 and "used by another program" in needs_redis.stderr
