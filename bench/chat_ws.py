"""Chat turns with many listeners at once, over real WebSockets to real daphne, beside the bare-echo floor.

Run: .venv/bin/python bench/chat_ws.py [--listeners 50] [--think 3] [--turns 10] [--saturate]

The app is ``personalais.asgi:application`` served as ``make run`` serves it (daphne with its
options, ``--web-processes`` processes on one shared socket; default: make run's count,
WEB_CONCURRENCY or one per core), on the same PostgreSQL (scratch database ``personalais_bench``,
demo catalog loaded and embedded when missing) and Redis as ``make run``. The floor
(``bench/echo_floor.py``) is a bare Channels consumer that answers every frame with ``done``,
served by the same program, options and process count and played by the same listeners with the
same lines and pauses: what the server costs a turn with no app work. Both run in one invocation
and print side by side (``--no-floor`` skips it).

Listeners ``bench-N@example.invalid`` get a listening history (top tracks, top artists, plays,
followed artists: a seeded variation of a demo listener, ``bench/listener_history.py``), recalled
candidates as Celery would leave them after a sync, and real Django sessions; each sends its
session cookie and an allowed ``Origin``. Each says varied, seeded lines (``bench/sentences.py``:
moods, activities, catalog artists, follow-ups, small talk, questions), so consecutive turns are
not one cached answer.

Phases, app first, then the floor: one listener alone (``--baseline-rounds`` × ``--turns`` turns;
0 skips it), then all ``--listeners`` at once, ``--turns`` counted turns each after one uncounted
warm-up turn, with exponential pauses of mean ``--think`` seconds (0: back to back). With
``--saturate``, listeners with no pause are added in steps (1, 2, 4, … up to ``--saturate-max``),
each step measured for ``--step-seconds``, until turns/s grows by less than 5 %: the best step's
turns/s is the saturation figure.

A turn's latency is send → ``done`` minus the ``llm_ms`` that ``done`` reports (0 offline and on the
floor). Recommendation turns are, for the app, the turns that got a ``tracks`` event; for the floor,
the turns whose line asked for music. Server CPU is user + system CPU of the web processes only
(their PIDs are printed; found by command line), over the measured window, divided by the turns
answered in it; PostgreSQL (the whole server, whoever else uses it) and this client are shown
apart, Redis not at all (no Celery worker runs: recall is done at set-up). "CPU per rec. turn"
divides all web CPU by the recommendation turns: an upper bound; ``--sentences music`` makes
(nearly) every turn one.

Flags: --listeners/--clients N, --turns N, --think S, --baseline-rounds N, --port P,
--llm-standin (answer through the LLM seam and the local stand-in; latency excludes llm_ms),
--web-processes N, --floor/--no-floor, --saturate, --saturate-max N, --step-seconds S,
--sentences varied|music|script (script: the old fixed ten lines), --seed N.

Prints the command, tables and asserts nothing. The bench users (and, through them, their
conversations and library rows) and sessions are deleted afterwards, also on Ctrl-C.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import os
import random
import shlex
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.scratch_database import bench_catalog_prepare  # sets Django up, so it comes first

# isort: split
from django.conf import settings
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
from django.contrib.sessions.backends.db import SessionStore
from django.db.models import Count
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import WebSocketException

from accounts.models import User
from bench.echo_floor import APPLICATION as FLOOR_APPLICATION
from bench.listener_history import bench_listeners_load
from bench.sentences import (
    FOLLOW_UP,
    QUESTION,
    RECOMMEND,
    SMALL_TALK,
    Line,
    ListenerSentences,
    ScriptedSentences,
)
from bench.web_processes import (
    APP_APPLICATION,
    SERVER_MODULE,
    CpuMeter,
    CpuSample,
    CpuSpent,
    WebServerError,
    cpu_ms_per_turn,
    cpu_spent,
    free_port,
    postgres_pid,
    web_pids,
    web_processes_default,
    web_running,
)
from catalog.models import Artist
from recommender.recall import recall_candidates_for_user

__all__ = [  # what bench/soak.py borrows
    "bench_catalog_prepare",
    "bench_sessions_delete",
    "bench_users_create",
    "bench_users_delete",
    "chat_turn",
    "daphne_running",
    "free_port",
    "listener_socket",
]

ROOT = Path(__file__).resolve().parent.parent
EMAIL = "bench-{}@example.invalid"
# A recommending turn, so the server has loaded every model before anything is counted.
WARM_UP = "hi, play me something to start the day"
SCRIPT = (
    Line("hey", SMALL_TALK),
    Line("how's your week been?", SMALL_TALK),
    Line("recommend something", RECOMMEND),
    Line("I'm stressed, play something calm", RECOMMEND),
    Line("more like the second one", FOLLOW_UP),
    Line("no more rap", FOLLOW_UP),
    Line("what have I been listening to lately?", QUESTION),
    Line("why did you pick that?", QUESTION),
    Line("something upbeat for cooking, 5 songs", RECOMMEND),
    Line("thanks", SMALL_TALK),
)
TURN_TIMEOUT_S = 300.0
HISTORY_MAX_BYTES = 16 * 2**20
SATURATION_GROWTH = 0.05  # a step that adds less than this to the best turns/s so far ends the ramp
SATURATION_SETTLE_S = 2.0  # after new listeners' warm-up, before the step's window opens
SATURATION_LINES = 100_000  # the ramp's listener N says the lines of listener SATURATION_LINES + N
CATALOG_ARTISTS = 300  # artists the lines may name: those with the most tracks


class BenchError(RuntimeError):
    """The server answered in a way the bench cannot measure (no history, bad frame)."""


class Sentences(Protocol):
    def next_line(self) -> Line: ...

    def lines(self, count: int) -> list[Line]: ...


@dataclass(frozen=True)
class Turn:
    line: str
    latency_ms: float
    llm_ms: float | None  # None when ``done`` did not say
    error: str | None = None
    server_ms: float | None = None  # the server's own time for the turn (``done``'s ``turn_ms``)
    kind: str = ""  # what the line was (bench.sentences kinds); "" when the caller did not say
    tracks: bool = False  # a ``tracks`` event came before ``done``
    ended: float = 0.0  # time.perf_counter() when ``done`` (or the failure) arrived

    @property
    def overhead_ms(self) -> float:
        return self.latency_ms - (self.llm_ms or 0.0)


@dataclass
class Phase:
    """One measured run: every counted turn, the wall time from the common start, the CPU spent."""

    name: str
    turns: list[Turn]
    seconds: float
    cpu: CpuSpent | None = None
    floor: bool = False  # recommendation turns are those that asked for music, not those with tracks

    @property
    def answered(self) -> list[Turn]:
        return [turn for turn in self.turns if turn.error is None]

    @property
    def turns_per_s(self) -> float:
        return len(self.answered) / self.seconds if self.seconds else math.nan

    @property
    def recommendation_turns(self) -> list[Turn]:
        if self.floor:
            return [turn for turn in self.turns if turn.kind in (RECOMMEND, FOLLOW_UP)]
        return [turn for turn in self.turns if turn.tracks]


@dataclass
class Saturation:
    """The ramp: one Phase per step of listeners, in order."""

    steps: list[tuple[int, Phase]] = field(default_factory=list)

    @property
    def best(self) -> tuple[int, Phase] | None:
        return max(self.steps, key=lambda step: step[1].turns_per_s, default=None)


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
    key = session.session_key
    assert key is not None  # create() always sets one
    return key


def bench_users_create(count: int, seed: int = 0) -> dict[int, str]:
    """Users 0..count with a listening history and candidates recalled; {number: session cookie header}."""
    users = bench_listeners_load([EMAIL.format(number) for number in range(count + 1)], seed=seed)
    cookies = {}
    for number, user in enumerate(users):
        recall_candidates_for_user(user=user)
        cookies[number] = f"{settings.SESSION_COOKIE_NAME}={bench_user_login(user)}"
    return cookies


def bench_sessions_delete(cookies: dict[int, str]) -> None:
    for cookie in cookies.values():
        SessionStore(session_key=cookie.split("=", 1)[1]).delete()


def catalog_artist_names(limit: int = CATALOG_ARTISTS) -> list[str]:
    """The catalog's artists with the most tracks, by name: what listeners ask for by name."""
    artists = Artist.objects.annotate(track_count=Count("track_links")).order_by("-track_count", "name")
    return list(artists.values_list("name", flat=True)[:limit])


# --- servers --------------------------------------------------------------------------------------


@contextmanager
def llm_standin_running() -> Iterator[dict[str, str]]:
    """The local OpenAI-compatible stand-in with the agent's brain; yields the LLM_* settings for daphne.

    With it the turn includes real LLM round trips over HTTP (streamed, 10 ms between chunks), and
    ``done``'s ``llm_ms`` says how long they took: the latency columns subtract exactly that.
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


def data_store_env() -> dict[str, str]:
    """The data stores this process resolved, so web processes connect straight to them."""
    return {"DATABASE_URL": settings.DATABASE_URL, "REDIS_URL": settings.REDIS_URL}


@contextmanager
def daphne_running(
    port: int, extra_env: dict[str, str] | None = None, processes: int = 1
) -> Iterator[list[int]]:
    """The app under daphne on ``port`` with the data stores this process resolved; yields the PIDs."""
    with web_running(
        APP_APPLICATION, port, processes=processes, env={**data_store_env(), **(extra_env or {})}
    ) as (_, pids):
        yield pids


# --- clients --------------------------------------------------------------------------------------


class StartLine:
    """Clients connect and warm up at their own pace, then start their counted turns together.

    A client that fails before the line still ``arrive``s, so the others are not kept waiting.
    ``on_go`` runs the moment the line is crossed (the CPU meter's first sample).
    """

    def __init__(self, parties: int, on_go: Callable[[], object] | None = None) -> None:
        self.waiting = parties
        self.go = asyncio.Event()
        self.began = 0.0
        self.on_go = on_go

    def arrive(self) -> None:
        self.waiting -= 1
        if self.waiting == 0:
            if self.on_go is not None:
                self.on_go()
            self.began = time.perf_counter()
            self.go.set()

    async def wait(self) -> None:
        self.arrive()
        await self.go.wait()


async def chat_turn(socket_: ClientConnection, text: str, kind: str = "") -> Turn:
    """Send one message and read events until ``done``; an ``error`` event marks the turn."""
    began = time.perf_counter()
    await socket_.send(json.dumps({"type": "message", "text": text}))
    error = None
    tracks = False
    async with asyncio.timeout(TURN_TIMEOUT_S):
        while True:
            event = json.loads(await socket_.recv())
            match event.get("type"):
                case "error":
                    error = str(event.get("code") or "error")
                case "tracks":
                    tracks = True
                case "done":
                    llm_ms = float(event["llm_ms"]) if event.get("llm_ms") is not None else None
                    server_ms = float(event["turn_ms"]) if event.get("turn_ms") is not None else None
                    break
    ended = time.perf_counter()
    return Turn(text, (ended - began) * 1000, llm_ms, error, server_ms, kind, tracks, ended)


def listener_socket(port: int, cookie: str) -> connect:
    """A listener's chat socket on the local server: their session cookie, the site's own origin."""
    return connect(
        f"ws://127.0.0.1:{port}/ws/chat/",
        origin=f"http://127.0.0.1:{port}",  # type: ignore[arg-type]
        additional_headers={"Cookie": cookie},
        proxy=None,
        max_size=HISTORY_MAX_BYTES,
        open_timeout=TURN_TIMEOUT_S,
    )


async def listener_open(socket_: ClientConnection) -> None:
    """Read the first event (it must be ``history``) and play the uncounted warm-up turn."""
    first = json.loads(await socket_.recv())
    if first.get("type") != "history":
        raise BenchError(f"expected a history event first, got {first.get('type')!r}")
    await chat_turn(socket_, WARM_UP)


def lost_turn(line: Line, exc: BaseException) -> Turn:
    return Turn(
        line.text, math.nan, None, f"lost ({type(exc).__name__})", kind=line.kind, ended=time.perf_counter()
    )


async def listener_play(
    port: int, cookie: str, lines: Sequence[Line], start: StartLine, think: float = 0.0, seed: int = 0
) -> list[Turn]:
    """One listener's session; a broken socket or a timeout turns its remaining lines into errors."""
    turns: list[Turn] = []
    arrived = False
    try:
        async with listener_socket(port, cookie) as socket_:
            await listener_open(socket_)
            arrived = True
            await start.wait()
            pace = random.Random(seed)
            for line in lines:
                if think > 0:  # a person reads the reply and types: exponential pauses, mean ``think``
                    await asyncio.sleep(pace.expovariate(1 / think))
                turns.append(await chat_turn(socket_, line.text, line.kind))
    except (OSError, TimeoutError, WebSocketException, BenchError) as exc:
        if not arrived:
            start.arrive()
        turns.extend(lost_turn(line, exc) for line in lines[len(turns) :])
    return turns


async def listeners_play(
    port: int,
    cookies: Sequence[str],
    lines: Sequence[Sequence[Line]],
    think: float,
    meter: CpuMeter,
    seed: int = 0,
) -> tuple[list[Turn], float, CpuSpent]:
    before: list[CpuSample] = []
    start = StartLine(len(cookies), on_go=lambda: before.append(meter.sample()))
    played = await asyncio.gather(
        *(
            listener_play(port, cookie, mine, start, think, seed * 1_000_003 + number)
            for number, (cookie, mine) in enumerate(zip(cookies, lines, strict=True))
        )
    )
    after = meter.sample()
    turns = [turn for turns in played for turn in turns]
    spent = cpu_spent(before[0] if before else after, after)
    return turns, after.at - start.began, spent


def phase_run(
    name: str,
    port: int,
    cookies: Sequence[str],
    lines: Sequence[Sequence[Line]],
    meter: CpuMeter,
    think: float = 0.0,
    floor: bool = False,
    seed: int = 0,
) -> Phase:
    turns, seconds, spent = asyncio.run(listeners_play(port, cookies, lines, think, meter, seed))
    return Phase(name, turns, seconds, spent, floor)


# --- saturation -----------------------------------------------------------------------------------


async def saturation_listener(
    port: int, cookie: str, sentences: Sentences, done: list[Turn], ready: asyncio.Event, stop: asyncio.Event
) -> None:
    """Turns back to back until ``stop``; a lost socket is an error turn, then a new socket."""
    while not stop.is_set():
        line = sentences.next_line()
        try:
            async with listener_socket(port, cookie) as socket_:
                await listener_open(socket_)
                ready.set()
                while not stop.is_set():
                    done.append(await chat_turn(socket_, line.text, line.kind))
                    line = sentences.next_line()
        except (OSError, TimeoutError, WebSocketException, BenchError) as exc:
            done.append(lost_turn(line, exc))
            ready.set()
            await asyncio.sleep(0.5)


async def saturation_ramp(
    port: int,
    cookies: Sequence[str],
    sentences_for: Callable[[int], Sentences],
    meter: CpuMeter,
    *,
    step_seconds: float,
    max_listeners: int,
    floor: bool,
    label: str,
) -> Saturation:
    done: list[Turn] = []
    stop = asyncio.Event()
    tasks: list[asyncio.Task] = []
    ramp = Saturation()
    listeners = 1
    try:
        while True:
            joining = []
            while len(tasks) < listeners:
                number = len(tasks)
                ready = asyncio.Event()
                joining.append(ready)
                cookie = cookies[number % len(cookies)]
                listener = saturation_listener(port, cookie, sentences_for(number), done, ready, stop)
                tasks.append(asyncio.create_task(listener))
            async with asyncio.timeout(TURN_TIMEOUT_S):
                await asyncio.gather(*(ready.wait() for ready in joining))
            await asyncio.sleep(SATURATION_SETTLE_S)
            before, first = meter.sample(), len(done)
            await asyncio.sleep(step_seconds)
            after = meter.sample()
            window = [turn for turn in done[first:] if turn.ended <= after.at]
            step = Phase(
                f"{listeners} listeners", window, after.at - before.at, cpu_spent(before, after), floor
            )
            best = ramp.best
            ramp.steps.append((listeners, step))
            print(
                f"  {label} saturation: {listeners:>4} listeners {step.turns_per_s:7.1f} turns/s, "
                f"p95 {percentiles(step.answered, [95])[0]:6.0f} ms",
                flush=True,
            )
            if best is not None and step.turns_per_s < best[1].turns_per_s * (1 + SATURATION_GROWTH):
                break
            if listeners >= max_listeners:
                break
            listeners = min(listeners * 2, max_listeners)
    finally:
        stop.set()
        _, pending = await asyncio.wait(tasks, timeout=TURN_TIMEOUT_S) if tasks else (set(), set())
        for task in pending:
            task.cancel()
    return ramp


# --- one server, every phase ------------------------------------------------------------------------


@dataclass
class ServerRun:
    """Every phase played against one server (the app or the floor)."""

    label: str
    pids: list[int]
    alone: Phase | None
    together: Phase
    saturation: Saturation | None


def server_run(
    label: str,
    application: str,
    options: argparse.Namespace,
    cookies: dict[int, str],
    sentences_for: Callable[[int], Sentences],
    env: dict[str, str],
) -> ServerRun:
    floor = application == FLOOR_APPLICATION
    with web_running(application, options.port, processes=options.web_processes, env=env) as (port, started):
        pids = web_pids(application) or started
        database = postgres_pid(settings.DATABASES["default"].get("OPTIONS", {}).get("host", ""))
        meter = CpuMeter(pids, database)
        print(
            f"{label}: {len(pids)} {SERVER_MODULE} process(es) on 127.0.0.1:{port}, PIDs {pids} "
            f"(command line runs {application}); CPU counted: those PIDs",
            flush=True,
        )
        alone = None
        if options.baseline_rounds:
            lines = sentences_for(0).lines(options.turns * options.baseline_rounds)
            alone = phase_run(f"{label}, 1 listener alone", port, [cookies[0]], [lines], meter, floor=floor)
        listeners = range(1, options.clients + 1)
        together = phase_run(
            f"{label}, {options.clients} listeners"
            + (f", ~{options.think:g} s pauses" if options.think else ""),
            port,
            [cookies[n] for n in listeners],
            [sentences_for(n).lines(options.turns) for n in listeners],
            meter,
            options.think,
            floor,
            options.seed,
        )
        saturation = None
        if options.saturate:
            ramp = saturation_ramp(
                port,
                [cookies[n] for n in sorted(cookies)],
                lambda number: sentences_for(SATURATION_LINES + number),  # not the lines said before
                meter,
                step_seconds=options.step_seconds,
                max_listeners=options.saturate_max,
                floor=floor,
                label=label,
            )
            saturation = asyncio.run(ramp)
    return ServerRun(label, pids, alone, together, saturation)


# --- report ---------------------------------------------------------------------------------------


def percentiles(turns: Sequence[Turn], which: Sequence[float]) -> list[float]:
    good = [turn.overhead_ms for turn in turns if turn.error is None]
    return [float(v) for v in np.percentile(good, which)] if good else [math.nan for _ in which]


def latency_cells(turns: Sequence[Turn]) -> str:
    errors = sum(turn.error is not None for turn in turns)
    good = [turn.overhead_ms for turn in turns if turn.error is None]
    values = [*percentiles(turns, [50, 95, 99]), max(good, default=math.nan)]
    return f"{len(turns):>5} {errors:>4} " + " ".join(_ms(v, 6) for v in values)


def _ms(value: float, width: int = 0) -> str:
    return f"{'–':>{width}}" if math.isnan(value) else f"{value:>{width}.0f}"


def _ms1(value: float) -> str:
    return "–" if math.isnan(value) else f"{value:.1f}"


def kinds_print(phases: Sequence[Phase]) -> None:
    """Latency by kind of line, per phase: the send → done time each kind costs."""
    block = f"{'turns':>5} {'err':>4} {'p50':>6} {'p95':>6} {'p99':>6} {'max':>6}"
    width = 22
    print("\nLatency per turn, ms (send → done, less llm_ms); errors are left out of the percentiles")
    print(" " * width + "   ".join(f"{phase.name[: len(block)]:<{len(block)}}" for phase in phases))
    print(f"{'turns':<{width}}" + "   ".join(block for _ in phases))
    rows: list[tuple[str, Callable[[Phase], list[Turn]]]] = [
        ("all turns", lambda phase: phase.turns),
        ("recommendation turns", lambda phase: phase.recommendation_turns),
    ]
    rows += [(f"  said: {kind}", _turns_said(kind)) for kind in (RECOMMEND, FOLLOW_UP, SMALL_TALK, QUESTION)]
    for title, turns_of in rows:
        print(f"{title:<{width}}" + "   ".join(latency_cells(turns_of(phase)) for phase in phases))


def _turns_said(kind: str) -> Callable[[Phase], list[Turn]]:
    return lambda phase: [turn for turn in phase.turns if turn.kind == kind]


def summary_rows(run: ServerRun) -> dict[str, str]:
    """The compact table's cells for one server, by metric."""
    together = run.together
    rec = together.recommendation_turns
    answered = len(together.answered)
    rec_answered = sum(turn.error is None for turn in rec)
    cpu = together.cpu
    cells = {
        "rec. turns p50 / p95 / p99 ms": " / ".join(_ms(v) for v in percentiles(rec, [50, 95, 99])),
        "all turns p50 / p95 / p99 ms": " / ".join(_ms(v) for v in percentiles(together.turns, [50, 95, 99])),
        "turns answered (rec. turns)": f"{answered} ({rec_answered})",
        "turns/s": f"{together.turns_per_s:.1f}",
        "errors": f"{len(together.turns) - answered}",
        "server CPU ms/turn": _ms1(cpu_ms_per_turn(cpu.server, answered)) if cpu else "–",
        "server CPU ms/rec. turn (≤)": _ms1(cpu_ms_per_turn(cpu.server, rec_answered)) if cpu else "–",
        "server cores busy": f"{cpu.server_cores():.2f}" if cpu else "–",
        "PostgreSQL CPU ms/turn (whole server)": _ms1(cpu.per_turn_ms(answered)["database"]) if cpu else "–",
        "bench client CPU ms/turn": _ms1(cpu.per_turn_ms(answered)["client"]) if cpu else "–",
    }
    if run.alone is not None:
        p50, p95 = percentiles(run.alone.turns, [50, 95])
        cells["1 listener alone p50 / p95 ms"] = f"{_ms(p50)} / {_ms(p95)}"
    best = run.saturation.best if run.saturation else None
    if best is not None:
        listeners, step = best
        turns = len(step.answered)
        step_cpu = step.cpu
        cells["saturation: max turns/s"] = f"{step.turns_per_s:.1f} ({listeners} listeners)"
        cells["saturation: p95 ms, errors"] = (
            f"{_ms(percentiles(step.turns, [95])[0])}, {len(step.turns) - turns}"
        )
        cells["saturation: server CPU ms/turn"] = (
            _ms1(cpu_ms_per_turn(step_cpu.server, turns)) if step_cpu else "–"
        )
    return cells


def summary_print(runs: Sequence[ServerRun]) -> None:
    columns = [summary_rows(run) for run in runs]
    metrics = list(dict.fromkeys(metric for column in columns for metric in column))
    width = max(len(metric) for metric in metrics) + 2
    cell = 22
    print("\n" + f"{'metric':<{width}}" + "".join(f"{run.label:>{cell}}" for run in runs))
    for metric in metrics:
        print(f"{metric:<{width}}" + "".join(f"{column.get(metric, '–'):>{cell}}" for column in columns))


def saturation_print(runs: Sequence[ServerRun]) -> None:
    for run in runs:
        if run.saturation is None:
            continue
        print(f"\n{run.label} saturation ramp (think 0)")
        print(
            f"{'listeners':>9} {'turns/s':>8} {'p50':>6} {'p95':>6} {'err':>4} "
            f"{'CPU ms/turn':>12} {'cores':>6}"
        )
        for listeners, step in run.saturation.steps:
            p50, p95 = percentiles(step.turns, [50, 95])
            turns = len(step.answered)
            server = step.cpu.server if step.cpu else math.nan
            cores = step.cpu.server_cores() if step.cpu else math.nan
            print(
                f"{listeners:>9} {step.turns_per_s:>8.1f} {_ms(p50, 6)} {_ms(p95, 6)} "
                f"{len(step.turns) - turns:>4} {_ms1(cpu_ms_per_turn(server, turns)):>12} {cores:>6.2f}"
            )


def errors_print(runs: Sequence[ServerRun]) -> None:
    for run in runs:
        phases = [
            run.alone,
            run.together,
            *(step for _, step in (run.saturation.steps if run.saturation else [])),
        ]
        codes = Counter(turn.error for phase in phases if phase for turn in phase.turns if turn.error)
        llm = [turn.llm_ms for turn in run.together.turns if turn.llm_ms]
        print(
            f"{run.label}: errors {dict(codes) or 'none'}; "
            f"done carried llm_ms on {len(llm)} turns ({sum(llm):.0f} ms in all)"
        )


def serialisation_print(concurrent: Phase, alone: Phase, clients: int) -> None:
    """The evidence for or against turns being handled one at a time, in numbers."""
    if not concurrent.answered or not alone.answered:
        return
    for phase in (concurrent, alone):
        server = [turn.server_ms for turn in phase.turns if turn.server_ms is not None]
        if server:
            p50, p95 = np.percentile(server, [50, 95])
            print(f"{phase.name}: the server's own turn time p50 {p50:.0f} ms, p95 {p95:.0f} ms")
    alone_p50, alone_p95 = percentiles(alone.turns, [50, 95])
    concurrent_p50, concurrent_p95 = percentiles(concurrent.turns, [50, 95])
    print(
        f"p95 {concurrent_p95:.0f} ms with {clients} listeners vs {alone_p95:.0f} ms alone "
        f"(×{concurrent_p95 / alone_p95:.1f}); p50 ×{concurrent_p50 / alone_p50:.1f}; "
        f"throughput ×{concurrent.turns_per_s / alone.turns_per_s:.2f}. One-at-a-time handling "
        f"would show p50 ≈ {clients} × {alone_p50:.0f} = {clients * alone_p50:.0f} ms and throughput ×1."
    )


# --- main -----------------------------------------------------------------------------------------


def arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--listeners", "--clients", dest="clients", type=int, default=50, help="concurrent listeners (50)"
    )
    parser.add_argument("--turns", type=int, default=10, help="counted turns per listener (10)")
    parser.add_argument(
        "--baseline-rounds",
        type=int,
        default=3,
        help="the lone listener plays this many × --turns, so its p95 rests on more than a handful (0: skip)",
    )
    parser.add_argument("--port", type=int, default=0, help="the web port (default: a free one)")
    parser.add_argument(
        "--think",
        type=float,
        default=0.0,
        help="mean pause in seconds before each turn (exponential; 0: back to back, the worst case)",
    )
    parser.add_argument(
        "--llm-standin",
        action="store_true",
        help="answer through the LLM seam and the local stand-in LLM (latency excludes llm_ms)",
    )
    parser.add_argument(
        "--web-processes",
        type=int,
        default=None,
        help="web processes, app and floor alike (default: make run's: WEB_CONCURRENCY or one per core)",
    )
    parser.add_argument(
        "--floor",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="also run every phase against the bare echo floor and print it beside the app (default on)",
    )
    parser.add_argument("--saturate", action="store_true", help="ramp listeners with no pause to max turns/s")
    parser.add_argument("--saturate-max", type=int, default=64, help="most listeners the ramp adds (64)")
    parser.add_argument(
        "--step-seconds", type=float, default=10.0, help="measured seconds per ramp step (10)"
    )
    parser.add_argument(
        "--sentences",
        choices=("varied", "music", "script"),
        default="varied",
        help="varied lines (default); music: only requests and follow-ups; script: the old fixed ten lines",
    )
    parser.add_argument("--seed", type=int, default=0, help="seeds lines, pauses and libraries (0)")
    parsed = parser.parse_args()
    if parsed.web_processes is None:
        parsed.web_processes = web_processes_default()
    if min(parsed.clients, parsed.turns, parsed.web_processes, parsed.saturate_max) < 1:
        parser.error("--listeners, --turns, --web-processes and --saturate-max must be at least 1")
    if parsed.baseline_rounds < 0 or parsed.think < 0 or parsed.step_seconds <= 0:
        parser.error("--baseline-rounds and --think cannot be negative, --step-seconds must be positive")
    if not 0 <= parsed.port < 65536:
        parser.error("--port must be 0..65535")
    return parsed


def sentences_maker(options: argparse.Namespace) -> Callable[[int], Sentences]:
    """Listener number → its own seeded stream of lines."""
    if options.sentences == "script":
        return lambda number: ScriptedSentences(SCRIPT)
    artists = catalog_artist_names()
    only_music = options.sentences == "music"
    return lambda number: ListenerSentences(options.seed * 1_000_003 + number, artists, only_music=only_music)


def _stop_on_sigterm(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def main() -> int:
    options = arguments()
    signal.signal(signal.SIGTERM, _stop_on_sigterm)
    print(f"command: {shlex.join(sys.orig_argv)}")
    print(
        f"machine: {os.cpu_count()} CPUs, load average {' '.join(f'{v:.2f}' for v in os.getloadavg())} "
        "at the start (the bench client shares them)"
    )
    seconds, embedded = bench_catalog_prepare()
    print(
        f"set-up: scratch database {settings.DATABASES['default']['NAME']} ready "
        f"in {seconds:.1f} s ({embedded} embedded)"
    )
    cookies: dict[int, str] = {}
    try:
        bench_users_delete()
        began = time.perf_counter()
        users = max(options.clients, options.saturate_max if options.saturate else 0)
        cookies = bench_users_create(users, seed=options.seed)
        print(
            f"set-up: {len(cookies)} listeners with listening history, recalled candidates and sessions "
            f"in {time.perf_counter() - began:.1f} s",
            flush=True,
        )
        sentences_for = sentences_maker(options)
        runs = []
        with ExitStack() as stack:
            llm_env = stack.enter_context(llm_standin_running()) if options.llm_standin else {}
            runs.append(
                server_run(
                    "app", APP_APPLICATION, options, cookies, sentences_for, {**data_store_env(), **llm_env}
                )
            )
        if options.floor:
            runs.append(
                server_run("floor", FLOOR_APPLICATION, options, cookies, sentences_for, data_store_env())
            )
        kinds_print([run.together for run in runs])
        saturation_print(runs)
        print(
            f"\n{options.clients} listeners × {options.turns} turns, think {options.think:g} s, "
            f"{options.web_processes} web process(es) each, "
            f"sentences {options.sentences}, seed {options.seed}"
        )
        summary_print(runs)
        print()
        errors_print(runs)
        if runs[0].alone is not None:
            serialisation_print(runs[0].together, runs[0].alone, options.clients)
    except KeyboardInterrupt:
        print("\ninterrupted; cleaning up", file=sys.stderr)
        return 130
    except (BenchError, WebServerError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    finally:
        bench_sessions_delete(cookies)
        bench_users_delete()
    return 0


if __name__ == "__main__":
    sys.exit(main())
