"""Many listeners for minutes: every turn answered and stored, and the server's memory flat.

    python bench/soak.py [--clients 200] [--minutes 3] [--think 5]

Same set-up as ``bench/chat_ws.py`` (scratch database, its own daphne, bench listeners with
real sessions). Each listener keeps a socket open and sends a varied line after an
exponential pause (mean ``--think`` s); every few turns it closes the socket and comes back on
a new one (a returning listener). At the end it counts: turns sent, turns answered with an
error or lost, the listener messages stored for the bench users (every turn must be there),
and daphne's resident memory after the first minute and at the end, per listener. Asserts
nothing; the figures are the result.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.chat_ws import (  # sets Django up (through bench.scratch_database), so it comes first
    bench_catalog_prepare,
    bench_sessions_delete,
    bench_users_create,
    bench_users_delete,
    chat_turn,
    daphne_running,
    free_port,
    listener_socket,
)

# isort: split
import psutil
from websockets.exceptions import WebSocketException

from chat.models import Message

LINES = (
    "I feel a bit down today",
    "play something calm",
    "put on something upbeat for the gym",
    "I'm stressed about work",
    "more like the first one",
    "no more rap",
    "what are my top tracks?",
    "thanks!",
    "something for a rainy evening",
    "why did you pick that?",
    "I'm so happy, we won!",
    "give me 5 jazz tracks",
)
TURNS_PER_VISIT = 5


async def listener(port: int, cookie: str, until: float, think: float, seed: int, tally: dict) -> None:
    rng = random.Random(seed)
    while time.monotonic() < until:
        opened = False
        try:
            async with listener_socket(port, cookie) as socket_:
                json.loads(await socket_.recv())  # history
                opened = True
                tally["visits"] += 1
                for _ in range(TURNS_PER_VISIT):
                    await asyncio.sleep(rng.expovariate(1 / think))
                    if time.monotonic() >= until:
                        return
                    tally["sent"] += 1
                    turn = await chat_turn(socket_, f"{rng.choice(LINES)} ({seed}.{tally['sent']})")
                    tally["errors" if turn.error else "answered"] += 1
        except (OSError, TimeoutError, WebSocketException) as exc:
            # A socket that never opened (the server too busy to shake hands) is counted apart
            # from one dropped mid-visit; either way the listener waits a little, as a page does.
            tally["lost" if opened else "refused"] += 1
            tally.setdefault("why", []).append(type(exc).__name__)
            await asyncio.sleep(rng.uniform(1.0, 3.0))


async def soak(
    port: int, cookies: dict[int, str], minutes: float, think: float, server: psutil.Process
) -> dict:
    tally: dict = {"sent": 0, "answered": 0, "errors": 0, "lost": 0, "refused": 0, "visits": 0}
    began = time.monotonic()
    until = began + minutes * 60
    tasks = [
        asyncio.create_task(listener(port, cookie, until, think, number, tally))
        for number, cookie in cookies.items()
    ]
    await asyncio.sleep(min(60.0, minutes * 60 / 3))
    tally["rss_early_mib"] = server.memory_info().rss / 2**20
    samples = []
    while not all(task.done() for task in tasks):  # the curve, to tell warm-up from a leak
        samples.append(round(server.memory_info().rss / 2**20))
        await asyncio.sleep(30)
    tally["rss_curve_mib"] = samples
    await asyncio.gather(*tasks)
    tally["rss_end_mib"] = server.memory_info().rss / 2**20
    tally["seconds"] = time.monotonic() - began
    return tally


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--clients", type=int, default=200)
    parser.add_argument("--minutes", type=float, default=3.0)
    parser.add_argument("--think", type=float, default=5.0)
    options = parser.parse_args()

    bench_catalog_prepare()
    bench_users_delete()
    cookies = bench_users_create(options.clients - 1)
    stored_before = Message.objects.filter(
        role="user", conversation__user__email__startswith="bench-"
    ).count()
    port = free_port()
    try:
        with daphne_running(port):
            server = _daphne(port)
            tally = asyncio.run(soak(port, cookies, options.minutes, options.think, server))
        stored = (
            Message.objects.filter(role="user", conversation__user__email__startswith="bench-").count()
            - stored_before
        )
    finally:
        bench_sessions_delete(cookies)
        bench_users_delete()
    growth = (tally["rss_end_mib"] - tally["rss_early_mib"]) * 1024 / max(1, len(cookies))
    print(f"{len(cookies)} listeners for {tally['seconds'] / 60:.1f} min, {tally['visits']} visits (sockets)")
    print(f"turns sent {tally['sent']}, answered {tally['answered']}, with an error {tally['errors']}")
    print(
        f"sockets dropped mid-visit {tally['lost']}, handshakes that failed {tally['refused']} "
        f"{sorted(set(tally.get('why', [])))}"
    )
    print(f"listener messages stored {stored} of {tally['sent']} sent")
    print(
        f"daphne RSS {tally['rss_early_mib']:.0f} MiB after the first minute, {tally['rss_end_mib']:.0f} MiB "
        f"at the end: {growth:+.1f} KiB per listener"
    )
    print(f"daphne RSS every 30 s after that (MiB): {tally['rss_curve_mib']}")
    print(
        f"ERRORS: {tally['errors'] + tally['lost']}   FAILED HANDSHAKES: {tally['refused']}   "
        f"TURNS NOT STORED: {tally['sent'] - stored}"
    )
    return 0


def _daphne(port: int) -> psutil.Process:
    """The daphne process listening on ``port`` (a child of a child of this one)."""
    for process in psutil.Process().children(recursive=True):
        try:
            if any(c.laddr and c.laddr.port == port for c in process.net_connections(kind="tcp")):
                return process
        except psutil.Error:
            continue
    raise SystemExit(f"no process listens on port {port}")


if __name__ == "__main__":
    sys.exit(main())
