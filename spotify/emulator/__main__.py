"""``python -m spotify.emulator [--port 8765] [--data demo/] [--store .local/emulator/store.json]``."""

from __future__ import annotations

import argparse
from pathlib import Path

from spotify.emulator.server import EmulatorApp, EmulatorServer
from spotify.emulator.store import EmulatorStore

REPO = Path(__file__).resolve().parents[2]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m spotify.emulator", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8765, help="0 picks a free port (printed at start)")
    parser.add_argument("--data", type=Path, default=REPO / "demo", help="folder with the demo files")
    parser.add_argument("--store", type=Path, default=REPO / ".local" / "emulator" / "store.json")
    parser.add_argument("--quiet", action="store_true", help="no request log on stderr")
    args = parser.parse_args(argv)
    store = EmulatorStore(args.data, args.store)
    server = EmulatorServer((args.host, args.port), EmulatorApp(store), quiet=args.quiet)
    host, port = server.server_address[:2]
    # The first line names the address: a parent that passed --port 0 reads the port from it.
    print(
        f"Spotify emulator on http://{host}:{port} ({len(store.users)} listeners, {len(store.tracks)} tracks)"
    )
    print(f"  store: {args.store}", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
