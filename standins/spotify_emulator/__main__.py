"""``python -m standins.spotify_emulator [--port 8765] [--data demo/] [--store .local/emulator/store.json]
[--rate-limit 600] [--rate-window 30] [--app CLIENT_ID:SECRET ...]``.

Apps given with ``--app`` (or ``SPOTIFY_EMULATOR_APPS="id:secret,id2:secret2"``) may get a token
of their own (client credentials) to read the catalog; the other grants take any client id.
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path

from standins.spotify_emulator.app import emulator_app
from standins.spotify_emulator.rate_limit import DEFAULT_RATE_LIMIT, WINDOW_SECONDS
from standins.spotify_emulator.store import EmulatorStore
from standins.web.serve import serve

REPO = Path(__file__).resolve().parents[2]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m standins.spotify_emulator", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8765, help="0 picks a free port (printed at start)")
    parser.add_argument("--data", type=Path, default=REPO / "demo", help="folder with the demo files")
    parser.add_argument("--store", type=Path, default=REPO / ".local" / "emulator" / "store.json")
    parser.add_argument("--quiet", action="store_true", help="no request log on stderr")
    parser.add_argument(
        "--rate-limit",
        type=int,
        default=DEFAULT_RATE_LIMIT,
        help="calls per app allowed in any rolling window before 429 (0: no limit)",
    )
    parser.add_argument("--rate-window", type=float, default=WINDOW_SECONDS, help="window length in seconds")
    parser.add_argument(
        "--app",
        action="append",
        default=[a for a in os.environ.get("SPOTIFY_EMULATOR_APPS", "").split(",") if a.strip()],
        metavar="CLIENT_ID:SECRET",
        help="an app that may use the client-credentials grant (repeatable)",
    )
    args = parser.parse_args(argv)
    if args.rate_limit < 0 or args.rate_window <= 0:
        parser.error("--rate-limit must be 0 or more and --rate-window more than 0")
    apps = dict(app.strip().partition(":")[::2] for app in args.app)
    if not all(apps) or not all(apps.values()):
        parser.error("--app takes CLIENT_ID:SECRET, both non-empty")
    store = EmulatorStore(args.data, args.store, apps=apps)
    app = emulator_app(store, rate_limit=args.rate_limit, window=args.rate_window)
    sizes = f"{len(store.users)} listeners, {len(store.tracks)} tracks"
    # The first line names the address: a parent that passed --port 0 reads the port from it.
    serve(
        app,
        host=args.host,
        port=args.port,
        quiet=args.quiet,
        banner=lambda base: f"Spotify emulator on {base} ({sizes})\n  store: {args.store}",
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
