"""The server a bench talks to: make run's web processes, for any ASGI application, and the CPU they spend.

``web_running(application, port, processes=N)`` starts what ``make run`` starts for the web
(``personalais.stack``: ``web_socket`` binds one listening socket, ``web_children`` gives the N
daphne command lines that accept from it) with ``application`` in place of the app's, so the app
and the echo floor run on the same server program, options and process count. The processes are
not restarted when they exit: a bench counts that as errors. ``web_processes_default()`` is make
run's count (WEB_CONCURRENCY, else one per core).

``CpuMeter`` sums user + system CPU seconds of the web processes (found by command line: this
process's descendants that run the application), of the embedded PostgreSQL server (postmaster,
its live backends and the backends it has reaped) and of the bench client itself.
"""

from __future__ import annotations

import math
import os
import signal
import socket
import subprocess
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import IO

import psutil

ROOT = Path(__file__).resolve().parent.parent
APP_APPLICATION = "personalais.asgi:application"  # what make run's web command lines serve
SERVER_MODULE = "daphne"
READY_TIMEOUT_S = 60.0


class WebServerError(RuntimeError):
    """A web process did not start or answer; the message carries the end of its output."""


def web_processes_default() -> int:
    """As many web processes as make run starts (WEB_CONCURRENCY, else one per core)."""
    from personalais.stack import web_concurrency  # imported late: the echo test needs no stack

    return web_concurrency()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def web_argvs(
    application: str, sock: socket.socket, processes: int
) -> list[tuple[list[str], tuple[int, ...]]]:
    """make run's web command lines on ``sock``, serving ``application``: [(argv, inherited fds)]."""
    from personalais.stack import web_children

    return [
        ([application if part == APP_APPLICATION else part for part in child.argv], child.pass_fds)
        for child in web_children(sock, processes)
    ]


@contextmanager
def web_running(
    application: str, port: int = 0, *, processes: int = 1, env: dict[str, str] | None = None
) -> Iterator[tuple[int, list[int]]]:
    """``processes`` web processes serving ``application`` on 127.0.0.1:``port``; yields (port, PIDs).

    Port 0 takes a free one. Returns once every process says it listens and the port answers HTTP;
    stops them all on the way out (SIGTERM, then SIGKILL after 10 s).
    """
    from personalais.stack import web_socket

    child_env = {**os.environ, "PYTHONUNBUFFERED": "1", **(env or {})}
    with ExitStack() as stack:
        try:
            sock = stack.enter_context(web_socket("127.0.0.1", port))
        except OSError as exc:
            raise WebServerError(f"cannot listen on 127.0.0.1:{port}: {exc.strerror}") from exc
        port = sock.getsockname()[1]
        started: list[subprocess.Popen] = []
        logs: list[IO[str]] = []
        stack.callback(_stop_all, started)
        for argv, inherited in web_argvs(application, sock, processes):
            log = stack.enter_context(tempfile.TemporaryFile("w+"))
            started.append(
                subprocess.Popen(
                    argv,
                    cwd=ROOT,
                    env=child_env,
                    stdin=subprocess.DEVNULL,
                    stdout=log,
                    stderr=subprocess.STDOUT,
                    pass_fds=inherited,
                    start_new_session=True,
                )
            )
            logs.append(log)
        _wait_ready(list(zip(started, logs, strict=True)), port)
        yield port, [process.pid for process in started]


def _wait_ready(started: Sequence[tuple[subprocess.Popen, IO[str]]], port: int) -> None:
    """Each process logged that it listens, and the port answers HTTP (any answer counts)."""
    deadline = time.monotonic() + READY_TIMEOUT_S
    waiting = list(started)
    while waiting and time.monotonic() < deadline:
        process, log = waiting[0]
        if process.poll() is not None:
            break
        log.seek(0)
        if "Listening on" in log.read():
            waiting.pop(0)
        else:
            time.sleep(0.1)
    while not waiting and time.monotonic() < deadline:
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=2).close()
            return
        except urllib.error.HTTPError:
            return
        except OSError:
            time.sleep(0.2)
    process, log = (waiting or started)[0]
    log.seek(0)
    raise WebServerError(
        f"web process {process.pid} did not come up on port {port}; its output:\n{log.read()[-4000:]}"
    )


def _stop_all(processes: Sequence[subprocess.Popen]) -> None:
    for process in processes:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
    for process in processes:
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


# --- CPU ------------------------------------------------------------------------------------------


def web_pids(application: str) -> list[int]:
    """This process's descendants whose command line runs ``application``: the web processes."""
    found = []
    for process in psutil.Process().children(recursive=True):
        try:
            if application in process.cmdline():
                found.append(process.pid)
        except psutil.Error:
            continue
    return sorted(found)


def postgres_pid(socket_dir: str) -> int | None:
    """The PostgreSQL postmaster whose command line names ``socket_dir`` (the embedded server's), if any."""
    if not socket_dir:
        return None
    for process in psutil.process_iter(["name", "cmdline", "ppid"]):
        try:
            cmdline = process.info["cmdline"] or []
            if process.info["name"] != "postgres" or socket_dir not in cmdline:
                continue
            parent = psutil.Process(process.info["ppid"])
            if parent.name() != "postgres":
                return process.pid
        except psutil.Error:
            continue
    return None


def cpu_seconds(pid: int, *, with_children: bool = False) -> float:
    """User + system CPU seconds of ``pid`` so far (0 once it is gone); ``with_children`` adds
    its live children and those it has waited for."""
    try:
        process = psutil.Process(pid)
        times = process.cpu_times()
        total = times.user + times.system
        if with_children:
            total += times.children_user + times.children_system
            for child in process.children():
                try:
                    child_times = child.cpu_times()
                    total += child_times.user + child_times.system
                except psutil.Error:
                    continue
        return total
    except psutil.Error:
        return 0.0


@dataclass(frozen=True)
class CpuSample:
    at: float  # time.perf_counter()
    server: float  # CPU seconds, all web processes
    database: float | None  # the PostgreSQL server, when found
    client: float  # this process


@dataclass(frozen=True)
class CpuSpent:
    seconds: float
    server: float
    database: float | None
    client: float

    def per_turn_ms(self, turns: int) -> dict[str, float]:
        return {
            "server": cpu_ms_per_turn(self.server, turns),
            "database": cpu_ms_per_turn(self.database, turns) if self.database is not None else math.nan,
            "client": cpu_ms_per_turn(self.client, turns),
        }

    def server_cores(self) -> float:
        """Cores the web processes kept busy on average (CPU seconds per wall second)."""
        return self.server / self.seconds if self.seconds else math.nan


class CpuMeter:
    def __init__(self, server_pids: Sequence[int], database_pid: int | None = None) -> None:
        self.server_pids = list(server_pids)
        self.database_pid = database_pid

    def sample(self) -> CpuSample:
        mine = psutil.Process().cpu_times()
        return CpuSample(
            at=time.perf_counter(),
            server=sum(cpu_seconds(pid) for pid in self.server_pids),
            database=(
                cpu_seconds(self.database_pid, with_children=True) if self.database_pid is not None else None
            ),
            client=mine.user + mine.system,
        )


def cpu_spent(before: CpuSample, after: CpuSample) -> CpuSpent:
    database = (
        after.database - before.database
        if after.database is not None and before.database is not None
        else None
    )
    return CpuSpent(
        seconds=after.at - before.at,
        server=after.server - before.server,
        database=database,
        client=after.client - before.client,
    )


def cpu_ms_per_turn(cpu_s: float, turns: int) -> float:
    """CPU milliseconds per turn over a window; NaN when no turn was answered."""
    return cpu_s * 1000 / turns if turns > 0 else math.nan
