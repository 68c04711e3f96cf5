"""How a recommendation's cost changes as the catalog grows: the demo's ~4.5k tracks, then ~50k.

Run: .venv/bin/python bench/catalog_scale.py [--tracks 50000] [--calls 60] [--listeners 4]
     [--skip-grow] [--explain]

Two scratch databases of its own, never the other benches' ``personalais_bench``:
``personalais_bench_scale`` holds the demo catalog (first made as a copy of ``personalais_bench``
when nobody is connected to it, else loaded and embedded afresh, which takes minutes), and
``personalais_bench_scale_<tracks>`` a copy of it grown to ``--tracks`` by cloning tracks in SQL
(``bench/catalog_clone.py``; kept between runs, so only the first run pays for the growth).

At each size a few listeners with listening history (``bench/listener_history.py``) get their
candidates recalled, then ``recommend_tracks`` (``record=False``) is timed over the same varied
music requests (``bench/sentences.py``: the mood from the words, a genre focus when a line names
one, as the agent's tool passes it) after a few warm-up calls. Prints, per size: wall and this
process's CPU (Python, numpy, ONNX) per call, p50/p95, mood-only and genre-focused calls apart;
the pool statement's wall (the one statement whose work can follow the catalog's size); the
PostgreSQL backend's CPU per call (a mean: /proc counts 10 ms ticks); then the ratio of the p95s
(issue 15's target: wall within 1.2x). ``--skip-grow`` times the demo size only. ``--explain``
prints the pool statement's plan (EXPLAIN ANALYZE, this call's values) at each size for the first
mood-only and the first genre-focused request. Asserts nothing; deletes its listeners afterwards,
also on Ctrl-C.
"""

from __future__ import annotations

import argparse
import os
import re
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import psycopg

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("EMBEDDED_DATABASE_NAME", "personalais_bench_scale")  # never the other benches'

from bench.scratch_database import bench_catalog_prepare  # sets Django up, so it comes first

# isort: split
from django.core.management import call_command
from django.db import connection

import recommender.services as services_module
from accounts.models import User
from bench.catalog_clone import catalog_grow
from bench.listener_history import bench_listeners_load
from bench.sentences import GENRES, ListenerSentences
from catalog.models import Track
from catalog.sql import server_bound_cursor
from mood.labels import LABEL_COORDINATES
from mood.perception import mood_from_text_lexicon
from recommender.recall import recall_candidates_for_user
from recommender.services import Focus, recommend_tracks

TEMPLATE = "personalais_bench"  # the other benches' scratch database: already loaded and embedded
EMAIL = "bench-scale-{}@example.invalid"
WARM_UP = 5
# Lines without a mood word get one of these, in turn, so the aim moves around the mood space.
PLAIN_LABELS = ("joy", "sadness", "neutral", "surprise", "anger")
TICK = 1 / os.sysconf("SC_CLK_TCK")
VECTOR_LITERAL = re.compile(r"'\[[-+0-9.,e]{100,}\]'::vector")


@dataclass(frozen=True)
class Request:
    """One recommendation request, as the agent's tool would make it."""

    listener: int
    label: str
    valence: float
    arousal: float
    text: str
    genres: tuple[str, ...] = ()


@dataclass
class Timings:
    """Per-call figures of one catalog size."""

    tracks: int
    walls: list[float] = field(default_factory=list)
    cpus: list[float] = field(default_factory=list)
    pool_walls: list[float] = field(default_factory=list)
    pool_sizes: list[int] = field(default_factory=list)
    focused: list[bool] = field(default_factory=list)  # per call: the request named a genre
    backend_seconds: float = 0.0
    recall_seconds: float = 0.0
    candidates: int = 0

    def p(self, values: list[float], q: float) -> float:
        """Percentile ``q`` of ``values`` in ms; NaN when there are none."""
        return 1000 * float(np.percentile(values, q)) if values else float("nan")

    def of_kind(self, values: list[float], focused: bool) -> list[float]:
        return [value for value, kind in zip(values, self.focused, strict=True) if kind == focused]


def requests_made(count: int, listeners: int, *, seed: int) -> list[Request]:
    """``count`` requests, listener by listener in turn, each from that listener's seeded lines."""
    lines = [ListenerSentences(seed * 1000 + n, only_music=True) for n in range(listeners)]
    requests = []
    for number in range(count):
        listener = number % listeners
        text = lines[listener].next_line().text
        mood = mood_from_text_lexicon(text)
        label = mood.label if mood.label != "neutral" else PLAIN_LABELS[number % len(PLAIN_LABELS)]
        valence, arousal = (mood.valence, mood.arousal) if label == mood.label else LABEL_COORDINATES[label]
        genres = tuple(genre for genre in GENRES if genre in text.lower())
        requests.append(Request(listener, label, valence, arousal, text, genres))
    return requests


@contextmanager
def admin_connection() -> Iterator[psycopg.Connection]:
    """A connection to the server's ``postgres`` database, for creating and copying databases."""
    params = connection.get_connection_params()
    keys = ("user", "password", "host", "port")
    with psycopg.connect(
        dbname="postgres", autocommit=True, **{key: params[key] for key in keys if params.get(key)}
    ) as admin:
        yield admin


def database_use(name: str) -> None:
    """Point Django's connection at database ``name`` (reconnecting on the next query)."""
    connection.close()
    connection.settings_dict["NAME"] = name


def database_copy(source: str, target: str) -> bool:
    """Create ``target`` as a copy of ``source``; False when someone is connected to ``source``
    (PostgreSQL copies only an idle database). Django's own connection is closed first."""
    connection.close()
    with admin_connection() as admin:
        try:
            admin.execute(f'CREATE DATABASE "{target}" TEMPLATE "{source}"')
        except psycopg.errors.ObjectInUse:
            return False
    return True


def database_exists(name: str) -> bool:
    with admin_connection() as admin:
        return admin.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone() is not None


def scratch_database_seed(name: str) -> str:
    """Make ``name`` a copy of TEMPLATE when it is new (no tables yet); says what it did.

    Django creates the database empty on first use; copying the other benches' database saves
    loading and embedding the demo catalog (minutes). A busy template means a fresh load instead.
    """
    database_use(name)
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_tables WHERE schemaname = 'public'")
        if cursor.fetchone()[0]:
            return "reused"
    if not database_exists(TEMPLATE):
        return "fresh (no template)"
    connection.close()
    with admin_connection() as admin:
        admin.execute(f'DROP DATABASE "{name}"')  # empty: Django just created it
    if database_copy(TEMPLATE, name):
        return f"copied from {TEMPLATE}"
    with admin_connection() as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    return f"fresh ({TEMPLATE} was in use)"


def backend_cpu() -> float:
    """CPU seconds (user + system) the PostgreSQL backend serving this connection has used."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        pid = cursor.fetchone()[0]
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return float("nan")  # the server is on another machine
    return (int(fields[11]) + int(fields[12])) * TICK


@contextmanager
def pool_watched(timings: Timings) -> Iterator[None]:
    """Note the wall time and size of each pool statement (``pool_scored``) while timing."""
    original: Callable = services_module.pool_scored

    def watched(*args: Any, **kwargs: Any) -> Any:
        began = time.perf_counter()
        pool = original(*args, **kwargs)
        timings.pool_walls.append(time.perf_counter() - began)
        timings.pool_sizes.append(len(pool))
        return pool

    services_module.pool_scored = watched
    try:
        yield
    finally:
        services_module.pool_scored = original


def pool_plan(users: list[User], request: Request) -> str:
    """The pool statement's plan for ``request``, run once more under EXPLAIN ANALYZE."""
    captured: list[tuple[str, Any]] = []

    def capture(execute: Callable, sql: str, params: Any, many: bool, context: dict) -> Any:
        if "near_index" in sql:
            captured.append((sql, params))
        return execute(sql, params, many, context)

    with connection.execute_wrapper(capture):
        recommend(users, request, seed=0)
    if not captured:
        return "(no pool statement seen: recommender.pool's SQL has changed shape)"
    sql, params = captured[0]
    with server_bound_cursor() as cursor:
        cursor.execute("EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) " + sql, params)
        plan = "\n".join(row[0] for row in cursor.fetchall())
    return VECTOR_LITERAL.sub("'[…]'::vector", plan)  # the mood query, 384 numbers at each use


def recommend(users: list[User], request: Request, *, seed: int) -> None:
    recommend_tracks(
        user=users[request.listener],
        label=request.label,
        valence=request.valence,
        arousal=request.arousal,
        text=request.text,
        focus=Focus(genres=request.genres),
        rng=np.random.default_rng(seed),
        record=False,
    )


def phase_run(users: list[User], requests: list[Request], warm_up: list[Request], explain: bool) -> Timings:
    """Recall for every listener, warm up, then time each request once."""
    timings = Timings(tracks=Track.objects.count())
    began = time.perf_counter()
    timings.candidates = sum(recall_candidates_for_user(user=user).candidates for user in users)
    timings.recall_seconds = time.perf_counter() - began
    for number, request in enumerate(warm_up):
        recommend(users, request, seed=number)
    if explain:
        for focused in (False, True):
            request = next((r for r in requests if bool(r.genres) == focused), None)
            if request is not None:
                print(f"--- pool statement plan at {timings.tracks:,d} tracks: {request.text!r}")
                print(pool_plan(users, request))
    backend_began = backend_cpu()
    with pool_watched(timings):
        for number, request in enumerate(requests):
            wall, cpu = time.perf_counter(), time.process_time()
            recommend(users, request, seed=number)
            timings.cpus.append(time.process_time() - cpu)
            timings.walls.append(time.perf_counter() - wall)
            timings.focused.append(bool(request.genres))
    timings.backend_seconds = backend_cpu() - backend_began
    return timings


def kind_cell(timings: Timings, focused: bool) -> str:
    walls = timings.of_kind(timings.walls, focused)
    return f"{timings.p(walls, 50):.1f} / {timings.p(walls, 95):.1f}"


def report(phases: list[Timings], requests: list[Request]) -> None:
    focused = sum(1 for request in requests if request.genres)
    print(f"\n{len(requests)} recommend_tracks calls each ({focused} with a genre focus), record=False")
    print(f"  {'':34s}" + "".join(f"{phase.tracks:>14,d} tracks" for phase in phases))
    rows: list[tuple[str, Callable[[Timings], str]]] = [
        ("recall, all listeners (s)", lambda t: f"{t.recall_seconds:.2f}"),
        ("candidates, all listeners", lambda t: f"{t.candidates}"),
        ("pool rows per call (mean)", lambda t: f"{np.mean(t.pool_sizes):.0f}"),
        ("wall per call p50 (ms)", lambda t: f"{t.p(t.walls, 50):.1f}"),
        ("wall per call p95 (ms)", lambda t: f"{t.p(t.walls, 95):.1f}"),
        ("  mood only p50 / p95", lambda t: kind_cell(t, False)),
        ("  with a genre focus p50 / p95", lambda t: kind_cell(t, True)),
        ("CPU per call p50 (ms)", lambda t: f"{t.p(t.cpus, 50):.1f}"),
        ("CPU per call p95 (ms)", lambda t: f"{t.p(t.cpus, 95):.1f}"),
        ("pool statement wall p50 (ms)", lambda t: f"{t.p(t.pool_walls, 50):.1f}"),
        ("pool statement wall p95 (ms)", lambda t: f"{t.p(t.pool_walls, 95):.1f}"),
        ("PostgreSQL CPU per call (ms, mean)", lambda t: f"{1000 * t.backend_seconds / len(t.walls):.1f}"),
    ]
    for label, cell in rows:
        print(f"  {label:34s}" + "".join(f"{cell(phase):>21s}" for phase in phases))
    if len(phases) == 2:
        small, large = phases
        print(
            f"  p95 ratio {large.tracks:,d} / {small.tracks:,d} tracks: wall "
            f"{large.p(large.walls, 95) / small.p(small.walls, 95):.2f}x, CPU "
            f"{large.p(large.cpus, 95) / small.p(small.cpus, 95):.2f}x, pool statement "
            f"{large.p(large.pool_walls, 95) / small.p(small.pool_walls, 95):.2f}x (target: wall within 1.2x)"
        )


def listeners_delete(databases: list[str]) -> None:
    """The bench listeners gone from each of ``databases`` (the ones this run has used)."""
    for name in databases:
        database_use(name)
        User.objects.filter(email__startswith="bench-scale-").delete()


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--tracks", type=int, default=50_000, help="catalog size to grow to")
    parser.add_argument("--calls", type=int, default=60, help="timed calls per catalog size")
    parser.add_argument("--listeners", type=int, default=4)
    parser.add_argument("--skip-grow", action="store_true", help="time the demo-size catalog only")
    parser.add_argument("--explain", action="store_true", help="print the pool statement's plan per size")
    options = parser.parse_args()
    print("command:", " ".join([".venv/bin/python", *sys.argv]))
    small = connection.settings_dict["NAME"]
    large = f"{small}_{options.tracks}"
    print(f"database: {small} ({scratch_database_seed(small)})")
    seconds, embedded = bench_catalog_prepare()
    print(f"set-up: scratch database ready in {seconds:.1f} s ({embedded} tracks embedded now)")
    requests = requests_made(options.calls, options.listeners, seed=1)
    warm_up = requests_made(WARM_UP, options.listeners, seed=2)
    emails = [EMAIL.format(n) for n in range(options.listeners)]
    used = [small]
    phases: list[Timings] = []
    try:
        listeners_delete(used)
        began = time.perf_counter()
        users = bench_listeners_load(emails)
        print(f"listeners: {len(users)} loaded in {time.perf_counter() - began:.1f} s")
        phases.append(phase_run(users, requests, warm_up, options.explain))
        print(f"phase A: {phases[0].tracks:,d} tracks timed")
        if not options.skip_grow:
            if database_exists(large):
                print(f"database: {large} (reused)")
            elif database_copy(small, large):
                print(f"database: {large} (copied from {small})")
            else:
                raise SystemExit(f"{small} is in use elsewhere, so it cannot be copied to {large}")
            used.append(large)
            database_use(large)
            # Migrations added since it was grown; not the demo refresh, which would re-derive 45k
            # clones' genres (they are in no playlist) and take a while.
            call_command("migrate", verbosity=0)
            growth = catalog_grow(options.tracks)
            if growth.grown:
                print(
                    f"growth: {growth.before:,d} -> {growth.after:,d} tracks in {growth.seconds:.1f} s "
                    f"(HNSW rebuild {growth.index_seconds:.1f} s, "
                    f"VACUUM ANALYZE {growth.analyze_seconds:.1f} s)"
                )
            else:
                print(f"growth: skipped, {large} holds {growth.before:,d} tracks already")
            users = bench_listeners_load(emails)
            phases.append(phase_run(users, requests, warm_up, options.explain))
            print(f"phase B: {phases[1].tracks:,d} tracks timed")
    finally:
        listeners_delete(used)
    report(phases, requests)
    return 0


if __name__ == "__main__":
    sys.exit(main())
