"""Chat-turn overhead with many listeners at once, over a real WebSocket to a real daphne.

Run: .venv/bin/python bench/chat_ws.py [--clients 20] [--turns 10] [--baseline-rounds 3] [--port 0]

The server is ``personalais.asgi:application`` under daphne in a child process, on the same
PostgreSQL (scratch database ``personalais_bench``, demo catalog loaded and embedded when
missing) and Redis channel layer as ``make run``. Listeners ``bench-N@example.invalid`` are
created with recalled candidates (as Celery would have left them) and logged in through real
Django sessions; each client sends the session cookie and an allowed ``Origin``.

A turn's latency is send → ``done``; its overhead is that minus the ``llm_ms`` the ``done``
event reports (0 when absent), i.e. what the stack adds around any language model. Each client
plays SCRIPT back to back (or with ``--think`` pauses, mean seconds, exponential) after one
uncounted warm-up turn; all clients start their counted turns together. The baseline is one
client playing the script alone (three times, for a steadier p95): if the server handles turns
one at a time, the concurrent p50 approaches clients × baseline p50 and turns/s stays flat.
Prints tables and asserts nothing. The bench users (and, through them, their conversations)
and sessions are deleted afterwards, also on Ctrl-C.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections import Counter
from collections.abc import Iterator, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import IO

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.scratch_database import bench_catalog_prepare  # sets Django up, so it comes first

# isort: split
from django.conf import settings
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
from django.contrib.sessions.backends.db import SessionStore
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import WebSocketException

from accounts.models import User
from personalais.stack import DAPHNE_OPTIONS
from recommender.recall import recall_candidates_for_user

ROOT = Path(__file__).resolve().parent.parent
EMAIL = "bench-{}@example.invalid"
# A recommending turn, so the server has loaded every model before anything is counted.
WARM_UP = "hi, play me something to start the day"
SCRIPT = (
    "hey",
    "how's your week been?",
    "recommend something",
    "I'm stressed, play something calm",
    "more like the second one",
    "no more rap",
    "what have I been listening to lately?",
    "why did you pick that?",
    "something upbeat for cooking, 5 songs",
    "thanks",
)
TURN_TIMEOUT_S = 300.0
HISTORY_MAX_BYTES = 16 * 2**20


class BenchError(RuntimeError):
    """The server answered in a way the bench cannot measure (no history, bad frame)."""


@dataclass(frozen=True)
class Turn:
    line: str
    latency_ms: float
    llm_ms: float | None  # None when ``done`` did not say
    error: str | None = None
    server_ms: float | None = None  # the server's own time for the turn (``done``'s ``turn_ms``)

    @property
    def overhead_ms(self) -> float:
        return self.latency_ms - (self.llm_ms or 0.0)


@dataclass
class Phase:
    """One measured run: every counted turn, and the wall time from the common start."""

    name: str
    turns: list[Turn]
    seconds: float

    @property
    def turns_per_s(self) -> float:
        return len(self.turns) / self.seconds if self.seconds else float("nan")


# --- listeners and their sessions ---------------------------------------------------------------


def bench_users_delete() -> int:
    """Remove bench users left by any run; conversations and the rest cascade with them."""
    deleted, _ = User.objects.filter(email__startswith="bench-", email__endswith="@example.invalid").delete()
    return deleted


def bench_user_login(user: User) -> str:
    """A stored session logged in as ``user``, as django.contrib.auth.login leaves it; its key."""
    session = SessionStore()
    session[SESSION_KEY] = user._meta.pk.value_to_string(user)
    session[BACKEND_SESSION_KEY] = settings.AUTHENTICATION_BACKENDS[0]
    session[HASH_SESSION_KEY] = user.get_session_auth_hash()
    session.create()
    return session.session_key


def bench_users_create(count: int) -> dict[int, str]:
    """Users 0..count with candidates recalled; {number: session cookie header}."""
    cookies = {}
    for number in range(count + 1):
        user = User.objects.create_user(email=EMAIL.format(number), display_name=f"Bench {number}")
        recall_candidates_for_user(user=user)
        cookies[number] = f"{settings.SESSION_COOKIE_NAME}={bench_user_login(user)}"
    return cookies


def bench_sessions_delete(cookies: dict[int, str]) -> None:
    for cookie in cookies.values():
        SessionStore(session_key=cookie.split("=", 1)[1]).delete()


# --- daphne ---------------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def llm_standin_running() -> Iterator[dict[str, str]]:
    """The local OpenAI-compatible stand-in with the agent's brain; yields the LLM_* settings for daphne.

    With it the turn includes real LLM round trips over HTTP (streamed, 10 ms between chunks), and
    ``done``'s ``llm_ms`` says how long they took: the overhead column subtracts exactly that.
    """
    argv = [sys.executable, "-m", "standins.llm", "--port", "0", "--quiet", "--chunk-delay", "0.01"]
    argv += ["--brain", "chat.agent.standin_brain:respond"]
    process = subprocess.Popen(argv, cwd=ROOT, stdout=subprocess.PIPE, text=True, start_new_session=True)
    try:
        assert process.stdout is not None
        first_line = process.stdout.readline()  # "LLM stand-in on http://127.0.0.1:PORT/v1 (...)"
        if not first_line:
            raise BenchError("the LLM stand-in did not start")
        yield {"LLM_BASE_URL": first_line.split()[3], "LLM_MODEL": "standin", "LLM_API_KEY": ""}
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(10)


@contextmanager
def daphne_running(port: int, extra_env: dict[str, str] | None = None) -> Iterator[None]:
    """daphne on ``port`` with the data stores this process resolved, stopped on the way out."""
    env = dict(os.environ)
    env.update(DATABASE_URL=settings.DATABASE_URL, REDIS_URL=settings.REDIS_URL, PYTHONUNBUFFERED="1")
    env.update(extra_env or {})
    argv = [
        sys.executable,
        "-m",
        "daphne",
        "-b",
        "127.0.0.1",
        "-p",
        str(port),
        *DAPHNE_OPTIONS,
        "personalais.asgi:application",
    ]
    with tempfile.TemporaryFile("w+") as log:
        process = subprocess.Popen(
            argv, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
        try:
            daphne_wait_answering(process, port, log)
            yield
        finally:
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
                try:
                    process.wait(10)
                except subprocess.TimeoutExpired:
                    os.killpg(process.pid, signal.SIGKILL)
                    process.wait()


def daphne_wait_answering(process: subprocess.Popen, port: int, log: IO[str], timeout: float = 60) -> None:
    """Any HTTP answer counts: the page may well redirect or refuse, it is the server we wait for."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            break
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=2).close()
            return
        except urllib.error.HTTPError:
            return
        except OSError:
            time.sleep(0.2)
    log.seek(0)
    raise BenchError(f"daphne did not answer on port {port}; its output:\n{log.read()[-4000:]}")


# --- clients --------------------------------------------------------------------------------------


class StartLine:
    """Clients connect and warm up at their own pace, then start their counted turns together.

    A client that fails before the line still ``arrive``s, so the others are not kept waiting.
    """

    def __init__(self, parties: int) -> None:
        self.waiting = parties
        self.go = asyncio.Event()
        self.began = 0.0

    def arrive(self) -> None:
        self.waiting -= 1
        if self.waiting == 0:
            self.began = time.perf_counter()
            self.go.set()

    async def wait(self) -> None:
        self.arrive()
        await self.go.wait()


async def chat_turn(socket_: ClientConnection, text: str) -> Turn:
    """Send one message and read events until ``done``; an ``error`` event marks the turn."""
    began = time.perf_counter()
    await socket_.send(json.dumps({"type": "message", "text": text}))
    error = None
    async with asyncio.timeout(TURN_TIMEOUT_S):
        while True:
            event = json.loads(await socket_.recv())
            kind = event.get("type")
            if kind == "error":
                error = str(event.get("code") or "error")
            elif kind == "done":
                llm_ms = float(event["llm_ms"]) if event.get("llm_ms") is not None else None
                server_ms = float(event["turn_ms"]) if event.get("turn_ms") is not None else None
                break
    return Turn(text, (time.perf_counter() - began) * 1000, llm_ms, error, server_ms)


def listener_socket(port: int, cookie: str) -> connect:
    """A listener's chat socket on the local server: their session cookie, the site's own origin."""
    return connect(
        f"ws://127.0.0.1:{port}/ws/chat/",
        origin=f"http://127.0.0.1:{port}",  # type: ignore[arg-type]
        additional_headers={"Cookie": cookie},
        proxy=None,
        max_size=HISTORY_MAX_BYTES,
    )


async def listener_play(
    port: int, cookie: str, lines: Sequence[str], start: StartLine, think: float = 0.0, seed: int = 0
) -> list[Turn]:
    """One listener's session; a broken socket or a timeout turns its remaining lines into errors."""
    turns: list[Turn] = []
    arrived = False
    try:
        async with listener_socket(port, cookie) as socket_:
            first = json.loads(await socket_.recv())
            if first.get("type") != "history":
                raise BenchError(f"expected a history event first, got {first.get('type')!r}")
            await chat_turn(socket_, WARM_UP)
            arrived = True
            await start.wait()
            pace = random.Random(seed)
            for line in lines:
                if think > 0:  # a person reads the reply and types: exponential pauses, mean ``think``
                    await asyncio.sleep(pace.expovariate(1 / think))
                turns.append(await chat_turn(socket_, line))
    except (OSError, TimeoutError, WebSocketException, BenchError) as exc:
        if not arrived:
            start.arrive()
        reason = type(exc).__name__
        turns.extend(Turn(line, float("nan"), None, f"lost ({reason})") for line in lines[len(turns) :])
    return turns


async def listeners_play(
    port: int, cookies: Sequence[str], lines: Sequence[str], think: float = 0.0
) -> tuple[list[Turn], float]:
    start = StartLine(len(cookies))
    played = await asyncio.gather(
        *(listener_play(port, cookie, lines, start, think, seed) for seed, cookie in enumerate(cookies))
    )
    return [turn for turns in played for turn in turns], time.perf_counter() - start.began


def phase_run(
    name: str, port: int, cookies: Sequence[str], lines: Sequence[str], think: float = 0.0
) -> Phase:
    turns, seconds = asyncio.run(listeners_play(port, cookies, lines, think))
    return Phase(name, turns, seconds)


# --- report ---------------------------------------------------------------------------------------


def overhead_cells(turns: Sequence[Turn]) -> str:
    errors = sum(turn.error is not None for turn in turns)
    good = [turn.overhead_ms for turn in turns if turn.error is None]
    if not good:
        return f"{len(turns):>5} {errors:>4} " + " ".join(f"{'–':>6}" for _ in range(4))
    p50, p95, p99 = np.percentile(good, [50, 95, 99])
    return f"{len(turns):>5} {errors:>4} " + " ".join(f"{v:>6.0f}" for v in (p50, p95, p99, max(good)))


def report_print(phases: Sequence[Phase], lines: Sequence[str]) -> None:
    width = max(len(line) for line in (*lines, "all turns")) + 2
    block = f"{'turns':>5} {'err':>4} {'p50':>6} {'p95':>6} {'p99':>6} {'max':>6}"
    print("\nOverhead per turn, ms (send → done, minus llm_ms); errors are left out of the percentiles")
    print(" " * width + "   ".join(f"{phase.name:<{len(block)}}" for phase in phases))
    print(f"{'script line':<{width}}" + "   ".join(block for _ in phases))
    print(f"{'all turns':<{width}}" + "   ".join(overhead_cells(phase.turns) for phase in phases))
    for line in dict.fromkeys(lines):
        cells = (overhead_cells([turn for turn in phase.turns if turn.line == line]) for phase in phases)
        print(f"{line:<{width}}" + "   ".join(cells))
    print()
    for phase in phases:
        llm = [turn.llm_ms for turn in phase.turns if turn.llm_ms is not None]
        codes = Counter(turn.error for turn in phase.turns if turn.error)
        print(
            f"{phase.name}: {len(phase.turns)} turns in {phase.seconds:.1f} s "
            f"= {phase.turns_per_s:.1f} turns/s; "
            f"done carried llm_ms on {len(llm)} turns ({sum(llm):.0f} ms in all); "
            f"errors: {dict(codes) or 'none'}"
        )


def serialisation_print(concurrent: Phase, alone: Phase, clients: int) -> None:
    """The evidence for or against turns being handled one at a time, in numbers."""

    def good(phase: Phase) -> list[float]:
        return [turn.overhead_ms for turn in phase.turns if turn.error is None]

    if not good(concurrent) or not good(alone):
        return
    for phase in (concurrent, alone):
        server = [turn.server_ms for turn in phase.turns if turn.server_ms is not None]
        if server:
            p50, p95 = np.percentile(server, [50, 95])
            print(f"{phase.name}: the server's own turn time p50 {p50:.0f} ms, p95 {p95:.0f} ms")
    alone_p50, alone_p95 = np.percentile(good(alone), [50, 95])
    concurrent_p50, concurrent_p95 = np.percentile(good(concurrent), [50, 95])
    print(
        f"p95 {concurrent_p95:.0f} ms with {clients} clients vs {alone_p95:.0f} ms alone "
        f"(×{concurrent_p95 / alone_p95:.1f}); p50 ×{concurrent_p50 / alone_p50:.1f}; "
        f"throughput ×{concurrent.turns_per_s / alone.turns_per_s:.2f}. One-at-a-time handling "
        f"would show p50 ≈ {clients} × {alone_p50:.0f} = {clients * alone_p50:.0f} ms and throughput ×1."
    )


# --- main -----------------------------------------------------------------------------------------


def arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", type=int, default=20, help="concurrent listeners (default 20)")
    parser.add_argument(
        "--turns", type=int, default=len(SCRIPT), help="counted turns per listener, cycling the script"
    )
    parser.add_argument(
        "--baseline-rounds",
        type=int,
        default=3,
        help="times the lone client plays the script, so its p95 rests on more than a handful of turns",
    )
    parser.add_argument("--port", type=int, default=0, help="daphne's port (default: a free one)")
    parser.add_argument(
        "--think",
        type=float,
        default=0.0,
        help="mean pause in seconds before each turn (exponential; 0: back to back, the worst case)",
    )
    parser.add_argument(
        "--llm-standin",
        action="store_true",
        help="answer through the LLM seam and the local stand-in LLM (overhead excludes llm_ms)",
    )
    parsed = parser.parse_args()
    if min(parsed.clients, parsed.turns, parsed.baseline_rounds) < 1 or not 0 <= parsed.port < 65536:
        parser.error("--clients, --turns and --baseline-rounds must be at least 1, --port 0..65535")
    return parsed


def _stop_on_sigterm(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def main() -> int:
    options = arguments()
    signal.signal(signal.SIGTERM, _stop_on_sigterm)
    lines = [SCRIPT[index % len(SCRIPT)] for index in range(options.turns)]
    port = options.port or free_port()
    seconds, embedded = bench_catalog_prepare()
    print(
        f"set-up: scratch database {settings.DATABASES['default']['NAME']} ready "
        f"in {seconds:.1f} s ({embedded} embedded)"
    )
    cookies: dict[int, str] = {}
    try:
        bench_users_delete()
        began = time.perf_counter()
        cookies = bench_users_create(options.clients)
        print(
            f"set-up: {len(cookies)} listeners with recalled candidates and sessions "
            f"in {time.perf_counter() - began:.1f} s"
        )
        with ExitStack() as stack:
            llm_env = stack.enter_context(llm_standin_running()) if options.llm_standin else {}
            stack.enter_context(daphne_running(port, llm_env))
            print(
                f"daphne answering on 127.0.0.1:{port}; running 1 client, then {options.clients} at once…",
                flush=True,
            )
            alone = phase_run("1 client, alone", port, [cookies[0]], lines * options.baseline_rounds)
            together = phase_run(
                f"{options.clients} clients at once"
                + (f", ~{options.think:g} s pauses" if options.think else ""),
                port,
                [cookies[n] for n in range(1, options.clients + 1)],
                lines,
                options.think,
            )
        report_print([together, alone], lines)
        serialisation_print(together, alone, options.clients)
    except KeyboardInterrupt:
        print("\ninterrupted; cleaning up", file=sys.stderr)
        return 130
    except BenchError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    finally:
        bench_sessions_delete(cookies)
        bench_users_delete()
    return 0


if __name__ == "__main__":
    sys.exit(main())
