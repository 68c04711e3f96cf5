"""Starting a local stand-in process (the Spotify emulator, the LLM stand-in) the way tests meet it."""

from __future__ import annotations

import subprocess
import time
from pathlib import Path

import requests

REPO = Path(__file__).resolve().parents[1]


def local_service_start(command: list[str], what: str) -> tuple[subprocess.Popen[str], str]:
    """Run ``command`` (started with ``--port 0``) and wait until it answers ``/healthz``.

    The process prints its address first ("<what> on http://127.0.0.1:PORT…"); the fourth word
    is the base URL returned. A process that exits or never answers raises, and is stopped.
    """
    process = subprocess.Popen(command, cwd=REPO, stdout=subprocess.PIPE, text=True)
    assert process.stdout is not None
    first_line = process.stdout.readline()
    if not first_line:
        raise RuntimeError(f"the {what} exited at start ({process.wait(timeout=5)})")
    base = first_line.split()[3]
    root = base.removesuffix("/v1")
    for _ in range(50):
        try:
            if requests.get(f"{root}/healthz", timeout=1).ok:
                return process, base
        except requests.ConnectionError:
            time.sleep(0.1)
    process.terminate()
    process.wait(timeout=5)
    raise RuntimeError(f"the {what} did not come up: {first_line!r}")
