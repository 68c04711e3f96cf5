"""What emotion perception adds to a chat turn, per message: ``python bench/emotion.py [--calls 200]``.

A turn of the offline agent reads the message's sentence vector anyway (the intent classifier:
``mood.encoder.embed_recent``). ``mood_from_text`` computes that vector on one thread while the
fine-tuned emotion model reads the message on the other, and leaves it cached for the
classifier. So what emotion *adds* to the turn is

    added = time(mood_from_text(message, context)) − time(embed_recent([message]))

each measured on messages never seen before, of the same shape (same words, a different number
at the end), in a conversation: the context is the two previous messages, whose emotion vectors
were computed when they were the current one (as in a chat; a cold context is timed too). The
figure is the median of the per-message differences; p95 of each side is printed beside it.
Also printed: the emotion model's pass alone (``sentence_vector=False``: what it would cost
sequentially), the first call (loading both models) and the model files' sizes. Asserts nothing.
"""

from __future__ import annotations

import argparse
import itertools
import os
import statistics
import sys
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "personalais.settings.dev")

OPENERS = ("I'm", "honestly I'm", "today I feel", "right now I am", "kind of", "still")
MOODS = ("so happy", "stressed", "a bit down", "furious", "bored", "fine", "nervous", "excited")
TAILS = ("play something", "any music?", "what should I hear", "about work", "after the exam", "tonight")


def _messages(count: int, tag: str) -> list[str]:
    combos = itertools.product(OPENERS, MOODS, TAILS, range(1000))
    return [
        f"{opener} {mood}, {tail} ({tag}{n})" for opener, mood, tail, n in itertools.islice(combos, count)
    ]


def _ms(call: Callable[[], object]) -> float:
    started = time.perf_counter()
    call()
    return (time.perf_counter() - started) * 1000


def _p(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[int(share * (len(ordered) - 1))]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--calls", type=int, default=200)
    calls = parser.parse_args().calls

    import django  # the bench is a script: Django is set up here, not at import

    django.setup()
    # After setup: perception reads settings.
    from mood.emotion_model import ENCODER_PATH, WEIGHTS_PATH
    from mood.encoder import embed_recent
    from mood.perception import mood_from_text

    first = _ms(lambda: mood_from_text("warming up the models"))
    print(f"first call (loads the sentence encoder, the emotion model and its head): {first:.0f} ms")
    for text in _messages(30, "w"):
        mood_from_text(text, ["earlier turn", "the turn before"])
        embed_recent([text + "!"])

    chat = _messages(calls + 2, "c")  # the conversation: each message's context is the two before it
    alone = _messages(calls, "a")  # same shapes: the sentence vector only
    sequential = _messages(calls + 2, "s")
    cold, unseen = _messages(calls, "k"), _messages(calls + 2, "u")
    mood_ms, vector_ms, sequential_ms, cold_ms = [], [], [], []
    for index in range(calls):
        message, context = chat[index + 2], chat[index : index + 2]
        mood_ms.append(_ms(partial(mood_from_text, message, context)))
        vector_ms.append(_ms(partial(embed_recent, [alone[index]])))
        message, context = sequential[index + 2], sequential[index : index + 2]
        sequential_ms.append(_ms(partial(mood_from_text, message, context, sentence_vector=False)))
        cold_ms.append(_ms(partial(mood_from_text, cold[index], unseen[index : index + 2])))
    added = [mood - vector for mood, vector in zip(mood_ms, vector_ms, strict=True)]

    print(f"{calls} fresh chat-length messages each, 2 turns of context; ms per message")
    print(f"{'':58s} {'median':>7s} {'p95':>7s}")
    rows = [
        ("sentence vector alone (the turn's intent step, paid anyway)", vector_ms),
        ("mood_from_text, vector computed beside it (as a turn runs)", mood_ms),
        ("emotion model alone, no vector beside it (sequential cost)", sequential_ms),
        ("mood_from_text with a cold context (2 more texts encoded)", cold_ms),
    ]
    for name, values in rows:
        print(f"{name:58s} {statistics.median(values):7.2f} {_p(values, 0.95):7.2f}")
    print(
        f"ADDED BY EMOTION PER MESSAGE: {statistics.median(added):.2f} ms median "
        f"(paired differences; p95 of the difference {_p(added, 0.95):.2f} ms)"
    )
    for path in (ENCODER_PATH, WEIGHTS_PATH):
        print(f"{path.name}: {path.stat().st_size / 2**20:.1f} MiB")


if __name__ == "__main__":
    main()
