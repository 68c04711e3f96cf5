"""``make run``'s supervision: restarts with a budget per window; a crashing child never stops the rest."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections import deque

import pytest
from django.core.exceptions import ImproperlyConfigured

from personalais.stack import (
    BURST,
    DAPHNE_OPTIONS,
    MAX_BACKOFF,
    WINDOW,
    Child,
    Supervisor,
    _listen_or_exit,
    _supervise,
    restart_delay,
    web_children,
    web_concurrency,
    web_socket,
)


def test_restarts_are_immediate_within_the_budget_then_back_off_and_recover_after_the_window():
    recent: deque[float] = deque()
    for second in range(BURST):
        assert restart_delay(recent, float(second)) == 0.0
        recent.append(float(second))
    assert restart_delay(recent, 5.0) == 2.0  # the next one waits
    recent.extend([6.0, 7.0, 8.0, 9.0, 10.0, 11.0])
    assert restart_delay(recent, 12.0) == MAX_BACKOFF  # doubling, capped
    # A minute later the old restarts no longer count: immediate again.
    assert restart_delay(recent, 12.0 + WINDOW) == 0.0


def test_a_child_that_keeps_crashing_is_retried_and_never_stops_the_others():
    steady = Child("web", [sys.executable, "-c", "import time; time.sleep(60)"])
    crasher = Child("beat", [sys.executable, "-c", "import sys; sys.exit(3)"])
    said: list[str] = []
    supervisor = Supervisor([steady, crasher], env={}, log=said.append)
    try:
        steady.start({})
        crasher.start({})
        ended = time.monotonic() + 6
        while time.monotonic() < ended:
            supervisor.tick()
            time.sleep(0.1)
        assert steady.process is not None and steady.process.poll() is None  # untouched throughout
        assert crasher.restarts >= BURST  # tried again and again
        assert any("keeps exiting" in line for line in said)  # then paced, not given up on
        assert not any("stopping" in line for line in said)
    finally:
        for child in (steady, crasher):
            child.stop()
            child.wait_stopped(timeout=5)


def test_a_data_store_that_goes_away_is_started_again():
    state = {"up": False, "starts": 0}

    def start() -> None:
        state["starts"] += 1
        state["up"] = True

    said: list[str] = []
    supervisor = Supervisor([], env={}, services={"valkey": (lambda: state["up"], start)}, log=said.append)
    supervisor.tick(now=100.0)
    assert state == {"up": True, "starts": 1} and "valkey is not answering" in said[0]
    supervisor.tick(now=103.0)
    assert state["starts"] == 1  # up: left alone


def test_web_processes_are_one_per_core_unless_web_concurrency_says_otherwise(monkeypatch):
    monkeypatch.delenv("WEB_CONCURRENCY", raising=False)
    assert web_concurrency() == len(os.sched_getaffinity(0))
    monkeypatch.setenv("WEB_CONCURRENCY", "1")
    assert web_concurrency() == 1
    monkeypatch.setenv("WEB_CONCURRENCY", "0")
    with pytest.raises(ImproperlyConfigured, match="WEB_CONCURRENCY"):
        web_concurrency()


def test_every_web_process_is_a_daphne_on_the_one_shared_socket_with_the_slow_handshake_allowed():
    with web_socket("127.0.0.1", 0) as listener:
        children = web_children(listener, 3)
        assert [child.name for child in children] == ["web-1", "web-2", "web-3"]
        for child in children:
            assert child.pass_fds == (listener.fileno(),)
            assert child.argv[1:5] == ["-m", "daphne", "--fd", str(listener.fileno())]
            assert " ".join(DAPHNE_OPTIONS) in " ".join(child.argv)
            assert "--proxy-headers" not in child.argv  # make run has no proxy in front
        [alone] = web_children(listener, 1, proxy_headers=True)
        assert alone.name == "web" and "--proxy-headers" in alone.argv


def test_a_web_port_already_taken_stops_start_up_with_a_message_naming_port():
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        with pytest.raises(SystemExit, match=f"cannot listen on 127.0.0.1:{port}.*set PORT"):
            _listen_or_exit("127.0.0.1", port)


def _sleeper(name: str) -> Child:
    return Child(name, [sys.executable, "-c", "import time; time.sleep(60)"])


def test_the_banner_waits_for_the_demo_data_that_loads_beside_the_children(capsys):
    children = [_sleeper("web"), _sleeper("worker")]
    setup = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(1.5)"])
    seen: list[tuple[bool, bool]] = []  # (children running, set-up done) when the banner was made

    def banner() -> str:
        seen.append((all(c.process and c.process.poll() is None for c in children), setup.poll() == 0))
        os.kill(os.getpid(), 15)  # then stop, as Ctrl-C would
        return "UP"

    assert _supervise(children, {}, {}, banner, setup=setup) == 0

    assert seen == [(True, True)]  # children started before the set-up ended; banner after it
    assert "UP" in capsys.readouterr().out
    assert all(child.process is not None and child.process.poll() is not None for child in children)


def test_a_failed_demo_load_stops_everything_with_an_error(capsys):
    children = [_sleeper("web")]
    setup = subprocess.Popen([sys.executable, "-c", "import sys; sys.exit(2)"])

    assert _supervise(children, {}, {}, lambda: "UP", setup=setup) == 1

    out = capsys.readouterr()
    assert "UP" not in out.out
    assert "seed_demo" in out.err
    assert children[0].process is not None and children[0].process.poll() is not None
