"""Latency of ``mood_from_text`` on this machine: ``python bench/emotion.py [--calls 200]``.

Prints median and p95 per call after a warm-up: a message alone; a conversation, where each
call's context is the two previous calls' messages (as ``run_turn`` sends it, so what those
turns need is cached); and context turns never seen before ("cold", everything embedded).
Every call uses a message not seen before, so the current message is always embedded.
Asserts nothing.
"""

from __future__ import annotations

import argparse
import itertools
import os
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "personalais.settings.dev")

OPENERS = ("I'm", "honestly I'm", "today I feel", "right now I am", "kind of", "still")
MOODS = ("so happy", "stressed", "a bit down", "furious", "bored", "fine", "nervous", "excited")
TAILS = ("play something", "any music?", "what should I hear", "about work", "after the exam", "tonight")


def _messages(count: int) -> list[str]:
    combos = itertools.product(OPENERS, MOODS, TAILS, range(1000))
    return [f"{opener} {mood}, {tail} ({n})" for opener, mood, tail, n in itertools.islice(combos, count)]


def _time(call: Callable[[int], object], calls: int) -> tuple[float, float]:
    durations = []
    for index in range(calls):
        started = time.perf_counter()
        call(index)
        durations.append((time.perf_counter() - started) * 1000)
    durations.sort()
    return statistics.median(durations), durations[int(0.95 * (len(durations) - 1))]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--calls", type=int, default=200)
    calls = parser.parse_args().calls

    import django

    django.setup()
    from mood.perception import mood_from_text

    started = time.perf_counter()
    mood_from_text("warming up the model")
    first = (time.perf_counter() - started) * 1000
    print(f"first call (loads the embedding model and the head): {first:.0f} ms")
    for text in _messages(20):
        mood_from_text(text, ["earlier turn", "the turn before"])

    pool = _messages(4 * (calls + 2) + 20)[20:]
    alone, cached, cold, unseen = (pool[k * (calls + 2) : (k + 1) * (calls + 2)] for k in range(4))
    rows = [
        ("message alone", lambda i: mood_from_text(alone[i])),
        # As a chat calls it: the context is the two previous calls' messages.
        (
            "in a conversation (2 turns of context)",
            lambda i: mood_from_text(cached[i + 2], cached[i : i + 2]),
        ),
        ("2 turns of context, cold", lambda i: mood_from_text(cold[i], unseen[i : i + 2])),
    ]
    print(f"{'mood_from_text':38s} {'median ms':>10s} {'p95 ms':>8s}   ({calls} calls each)")
    for name, call in rows:
        median, p95 = _time(call, calls)
        print(f"{name:38s} {median:10.2f} {p95:8.2f}")


if __name__ == "__main__":
    main()
