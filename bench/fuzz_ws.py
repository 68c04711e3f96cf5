"""Throw generated garbage at the chat socket of a running server, then ask it for music.

    python bench/fuzz_ws.py [--url ws://127.0.0.1:8000/ws/chat/] [--frames 10000] [--seed 1] [--log FILE]

Logs a listener in (a fuzz user in the server's database; ``make run`` must be up), opens the
socket with the site's own origin and sends ``--frames`` frames: random bytes (binary and text),
broken JSON, JSON nested up to thousands deep, wrong types, unknown frame types, huge strings,
NUL and lone surrogates inside messages, ids that are not the listener's. Every frame must be
answered with a plain ``error`` event (or a normal turn, for a well-formed message), then ``done``; prints how
many got an ``internal`` error, how many closed the socket, how many went unanswered, and the
tracebacks the server log gained (``--log``: the daphne log, e.g. ``.state/logs/web.log``). Then
one normal turn must come back with tracks. Asserts nothing; the figures are the result.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sys
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "personalais.settings.dev")

FUZZ_EMAIL = "fuzz@bench.invalid"


def _nested(rng: random.Random) -> str:
    depth = rng.choice((50, 200, 975, 2000, 5000))
    opener, closer = rng.choice((("[", "]"), ('{"a":', "}")))
    inner = opener * depth + "1" + closer * depth
    return rng.choice(
        (inner, json.dumps({"type": "message", "text": "x"})[:-1] + ', "extra": ' + inner + "}")
    )


def _generators(rng: random.Random) -> list[tuple[str, Callable[[], str | bytes]]]:
    words = ["type", "message", "text", "feedback", "save_playlist", "correct_mood", "undo", "kind", "label"]
    values: list[object] = [None, True, 0, -1, 2**63, 1.5, "", "x" * 5, [], {}, ["a"], {"b": 1}]
    return [
        ("random bytes", lambda: bytes(rng.getrandbits(8) for _ in range(rng.randint(1, 300)))),
        ("random text", lambda: "".join(chr(rng.randint(1, 0xD7FF)) for _ in range(rng.randint(1, 200)))),
        ("broken json", lambda: json.dumps({"type": "message", "text": "hi"})[: rng.randint(1, 25)]),
        ("deep nesting", lambda: _nested(rng)),
        (
            "wrong types",
            lambda: json.dumps({rng.choice(words): rng.choice(values) for _ in range(rng.randint(1, 4))}),
        ),
        ("unknown type", lambda: json.dumps({"type": f"x{rng.randint(0, 999)}", "text": "hi"})),
        (
            "huge string",
            lambda: json.dumps({"type": "message", "text": "a" * rng.choice((2001, 9000, 40000))}),
        ),
        ("nul in text", lambda: json.dumps({"type": "message", "text": "hi\u0000there"})),
        ("lone surrogate", lambda: '{"type": "message", "text": "\\ud83d oops"}'),
        ("not json array", lambda: json.dumps([rng.choice(values) for _ in range(3)])),
        (
            "someone else's ids",
            lambda: json.dumps(
                {"type": "feedback", "message_id": rng.randint(1, 10**6), "track_id": 1, "kind": "like"}
            ),
        ),
        ("undo nothing", lambda: json.dumps({"type": "undo", "write_id": rng.randint(1, 10**6)})),
        ("bad mood", lambda: json.dumps({"type": "correct_mood", "message_id": 1, "label": "ennui"})),
    ]


def _login_cookie() -> str:
    import django

    django.setup()
    from django.contrib.auth import get_user_model
    from django.test import Client

    user = get_user_model().objects.filter(email=FUZZ_EMAIL).first()
    user = user or get_user_model().objects.create_user(email=FUZZ_EMAIL, password=None)
    client = Client()
    client.force_login(user)
    return f"sessionid={client.cookies['sessionid'].value}"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--url", default="ws://127.0.0.1:8000/ws/chat/")
    parser.add_argument("--frames", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--log", type=Path, help="the server's log, to count tracebacks it gained")
    options = parser.parse_args()

    from websockets.exceptions import ConnectionClosed
    from websockets.sync.client import connect

    rng = random.Random(options.seed)
    generators = _generators(rng)
    cookie = _login_cookie()
    origin = (
        "http" + options.url.split("://", 1)[0][2:] + "://" + options.url.split("://", 1)[1].split("/")[0]
    )
    tracebacks_before = options.log.read_text(errors="replace").count("Traceback") if options.log else 0

    def opened():
        ws = connect(
            options.url, origin=origin, additional_headers={"Cookie": cookie}, open_timeout=10, legacy=True
        )
        json.loads(ws.recv(timeout=10))  # history
        return ws

    sent: Counter[str] = Counter()
    internal: Counter[str] = Counter()
    closed: Counter[str] = Counter()
    silent: Counter[str] = Counter()
    started = time.perf_counter()
    ws = opened()
    for _ in range(options.frames):
        kind, make = rng.choice(generators)
        frame = make()
        sent[kind] += 1
        try:
            ws.send(frame)
            while True:
                event = json.loads(ws.recv(timeout=30))
                if event["type"] == "error" and event.get("code") == "internal":
                    internal[kind] += 1
                if event["type"] == "done":  # every frame's answer ends with one
                    break
        except TimeoutError:
            silent[kind] += 1
        except ConnectionClosed:
            closed[kind] += 1
            ws = opened()
    seconds = time.perf_counter() - started
    ws.send(json.dumps({"type": "message", "text": "play something calm"}))
    events = []
    while not events or events[-1]["type"] != "done":
        events.append(json.loads(ws.recv(timeout=60)))
    ws.close()
    tracks = sum(len(e["tracks"]) for e in events if e["type"] == "tracks")
    tracebacks = (
        (options.log.read_text(errors="replace").count("Traceback") - tracebacks_before)
        if options.log
        else None
    )

    print(f"{sum(sent.values())} frames in {seconds:.1f} s ({sum(sent.values()) / seconds:.0f}/s)")
    print(f"{'kind':22s} {'sent':>6s} {'internal':>9s} {'closed':>7s} {'silent':>7s}")
    for kind, count in sorted(sent.items()):
        print(f"{kind:22s} {count:6d} {internal[kind]:9d} {closed[kind]:7d} {silent[kind]:7d}")
    print(f"INTERNAL ERRORS: {sum(internal.values())}")
    print(f"UNEXPLAINED DISCONNECTS: {sum(closed.values())}")
    print(f"UNANSWERED: {sum(silent.values())}")
    print(f"TRACEBACKS IN THE SERVER LOG: {'not counted (no --log)' if tracebacks is None else tracebacks}")
    print(f"AFTERWARDS, A NORMAL TURN: {tracks} tracks")


if __name__ == "__main__":
    main()
