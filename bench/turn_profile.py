"""Where one chat turn's server CPU goes, in process: the whole turn and its parts, per turn.

Run: .venv/bin/python bench/turn_profile.py [--turns 60] [--listeners 4] [--profile] [--idle 0.3]

On the benches' scratch database (``bench/scratch_database.py``: demo catalog, embedded), a few
listeners with listening history (``bench/listener_history.py``) say varied music requests
(``bench/sentences.py``, music only) through ``run_turn``, as the chat consumer runs it. Prints
wall and CPU (this process: Python, numpy, ONNX) per turn, p50/p95, SQL statements per turn, and
the CPU of the stages a recommendation turn spends most in (mood reading, the mood query's
embedding, the recommendation as a whole). ``--profile`` adds cProfile's top functions.
PostgreSQL's own CPU is not in these figures (it is another process); ``bench/chat_ws.py`` counts
the web processes' CPU over real sockets. Asserts nothing; deletes its listeners afterwards.

``--idle`` pauses before each turn, as a listener does between messages. On this 2-core VM the
same turn then costs about a third more CPU than back to back (measured 21.8 against 16.4 ms at
0.3 s): the processor has gone cold (caches, clock) meanwhile. That is why ``chat_ws.py`` at
``--think 3`` reports more CPU per turn than at saturation, with the bare echo floor alike.
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import sys
import time
from collections import defaultdict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.scratch_database import bench_catalog_prepare  # sets Django up, so it comes first

# isort: split
from django.db import connection

import chat.agent.turn as turn_module
import mood.emotion_model as emotion_module
import mood.encoder as encoder_module
import recommender.services as services_module
from accounts.models import User
from bench.listener_history import bench_listeners_load
from bench.sentences import ListenerSentences
from chat.agent.turn import run_turn
from recommender.recall import recall_candidates_for_user

EMAIL = "bench-profile-{}@example.invalid"
STAGES: dict[str, list[float]] = defaultdict(list)
PASSES: dict[str, list[int]] = defaultdict(list)  # tokens of each model pass


@contextmanager
def stage_timed(module: Any, name: str, label: str) -> Iterator[None]:
    """Wrap ``module.name`` so each call adds its CPU seconds to STAGES[label] (this thread's only:
    the sentence pass that runs beside the mood reading, on another thread, is not the reading's)."""
    original: Callable = getattr(module, name)

    def timed(*args: Any, **kwargs: Any) -> Any:
        began = time.thread_time()
        try:
            return original(*args, **kwargs)
        finally:
            STAGES[label].append(time.thread_time() - began)

    setattr(module, name, timed)
    try:
        yield
    finally:
        setattr(module, name, original)


@contextmanager
def passes_counted(module: Any, name: str, label: str, *, one_text: bool = False) -> Iterator[None]:
    """Wrap ``module.name`` (a model pass over a batch of token-id rows, or over one text's ids)
    to count passes and tokens."""
    original: Callable = getattr(module, name)

    def counted(token_ids: Any, *args: Any, **kwargs: Any) -> Any:
        PASSES[label].append(len(token_ids) if one_text else sum(len(row) for row in token_ids))
        return original(token_ids, *args, **kwargs)

    setattr(module, name, counted)
    try:
        yield
    finally:
        setattr(module, name, original)


def statement_counted(statements: list[str]) -> Callable:
    """An execute wrapper that notes each statement (unlike the debug cursor, it formats nothing)."""

    def wrapper(execute: Callable, sql: str, params: Any, many: bool, context: dict) -> Any:
        statements.append(sql)
        return execute(sql, params, many, context)

    return wrapper


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--turns", type=int, default=60)
    parser.add_argument("--listeners", type=int, default=4)
    parser.add_argument("--profile", action="store_true")
    parser.add_argument(
        "--idle",
        type=float,
        default=0.0,
        help="seconds of idle before each turn, as between a listener's messages (default 0: back to back)",
    )
    options = parser.parse_args()
    print("command:", " ".join([".venv/bin/python", *sys.argv]))
    seconds, _ = bench_catalog_prepare()
    print(f"set-up: scratch database ready in {seconds:.1f} s")
    User.objects.filter(email__startswith="bench-profile-").delete()
    users = bench_listeners_load([EMAIL.format(n) for n in range(options.listeners)])
    for user in users:
        recall_candidates_for_user(user=user)
    lines = [ListenerSentences(n, only_music=True) for n in range(options.listeners)]
    for index, user in enumerate(users):  # warm-up: models loaded, connection open
        run_turn(user=user, text=lines[index].next_line().text)
    walls, cpus, queries = [], [], []
    profiler = cProfile.Profile(time.process_time) if options.profile else None
    try:
        with (
            stage_timed(turn_module, "mood_from_text", "mood reading"),
            stage_timed(services_module, "embed_phrase_and_words", "mood query vector"),
            stage_timed(turn_module.services, "listener_message_create", "message write"),
            stage_timed(services_module, "pool_scored", "pool statement (client side)"),
            stage_timed(services_module, "recommend_tracks", "recommend_tracks (all)"),
            stage_timed(services_module.cover_asks, "add", "cover ask (batched)"),
            stage_timed(turn_module.selectors, "turn_context", "turn context read"),
            stage_timed(turn_module, "classify_intent", "intent"),
            stage_timed(turn_module, "respond_offline", "respond_offline (all)"),
            stage_timed(turn_module.services, "assistant_message_create", "reply write"),
            stage_timed(services_module, "_candidate_arrays", "candidate arrays"),
            stage_timed(services_module, "pick_rows", "picked rows read"),
            stage_timed(services_module, "_record", "served list write"),
            passes_counted(encoder_module, "_encode", "sentence encoder", one_text=True),
            passes_counted(emotion_module, "encode_ids", "emotion encoder"),
        ):
            for number in range(options.turns):
                user = users[number % len(users)]
                text = lines[number % len(users)].next_line().text
                statements = []
                if options.idle:
                    time.sleep(options.idle)
                with connection.execute_wrapper(statement_counted(statements)):
                    wall, cpu = time.perf_counter(), time.process_time()
                    if profiler:
                        profiler.enable()
                    run_turn(user=user, text=text)
                    if profiler:
                        profiler.disable()
                    cpus.append(time.process_time() - cpu)
                    walls.append(time.perf_counter() - wall)
                queries.append(len(statements))
    finally:
        User.objects.filter(email__startswith="bench-profile-").delete()
    pace = f", {options.idle:g} s idle before each" if options.idle else ", back to back"
    print(f"{options.turns} music turns, {options.listeners} listeners, one process{pace}")
    for name, values in (("wall", walls), ("CPU", cpus)):
        p50, p95 = 1000 * np.median(values), 1000 * np.percentile(values, 95)
        print(f"  {name:4s} per turn   p50 {p50:6.1f} ms   p95 {p95:6.1f} ms")
    print(f"  SQL statements  max {max(queries)}   mean {np.mean(queries):.1f}")
    print("  CPU per call, by stage (mean):")
    for label, values in STAGES.items():
        print(f"    {label:32s} {1000 * np.mean(values):6.1f} ms  ({len(values)} calls)")
    print("  model passes per turn (tokens per pass, mean):")
    for label, tokens in PASSES.items():
        print(f"    {label:32s} {len(tokens) / options.turns:6.2f}     ({np.mean(tokens):.0f} tokens)")
    if profiler:
        pstats.Stats(profiler).sort_stats("tottime").print_stats(25)
    return 0


if __name__ == "__main__":
    sys.exit(main())
