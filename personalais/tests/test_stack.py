"""``make run``'s supervision: restarts with a budget per window; a crashing child never stops the rest."""

from __future__ import annotations

import sys
import time
from collections import deque

from personalais.stack import BURST, MAX_BACKOFF, WINDOW, Child, Supervisor, restart_delay


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
