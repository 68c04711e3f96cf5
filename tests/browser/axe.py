"""Fetch axe-core (the accessibility rules engine) from the npm registry for the browser tests.

The tarball is checked against the integrity hash npm publishes for this exact version, so the
tests run the rules we pinned. Only ``axe.min.js`` is kept, under ``.local/axe/`` (not committed).
"""

from __future__ import annotations

import base64
import hashlib
import io
import sys
import tarfile
import urllib.request
from pathlib import Path
from typing import Any

VERSION = "4.14.1"
TARBALL = f"https://registry.npmjs.org/axe-core/-/axe-core-{VERSION}.tgz"
INTEGRITY = "sha512-FHfa+lmNjQZfJz1q8wKqIDwC6DExcHt/pkjNQb09a3NPjCKg2rhu5qb2S4r76ASyFNNtuFooJpZe37OgudVGtQ=="
TARGET = Path(__file__).resolve().parents[2] / ".local" / "axe" / f"axe-{VERSION}.min.js"


SERIOUS = ("serious", "critical")


def axe_serious(page: Any) -> list[dict]:
    """axe's serious and critical violations on the page as it is now (Playwright page)."""
    # Evaluated through the devtools protocol: the page's CSP (rightly) refuses inline scripts.
    page.evaluate(axe_path().read_text(encoding="utf-8"))
    violations = page.evaluate("async () => (await window.axe.run(document)).violations")
    return [
        {
            "id": v["id"],
            "impact": v["impact"],
            "help": v["help"],
            "nodes": [n["target"] for n in v["nodes"]][:5],
        }
        for v in violations
        if v["impact"] in SERIOUS
    ]


def axe_path() -> Path:
    """The pinned axe.min.js, downloaded once."""
    if TARGET.exists():
        return TARGET
    with urllib.request.urlopen(TARBALL, timeout=60) as response:
        body = response.read()
    digest = "sha512-" + base64.b64encode(hashlib.sha512(body).digest()).decode()
    if digest != INTEGRITY:
        raise RuntimeError(f"axe-core {VERSION} from npm does not match its published integrity hash")
    with tarfile.open(fileobj=io.BytesIO(body), mode="r:gz") as archive:
        member = archive.extractfile("package/axe.min.js")
        if member is None:
            raise RuntimeError("axe-core's tarball has no axe.min.js")
        script = member.read()
    TARGET.parent.mkdir(parents=True, exist_ok=True)
    TARGET.write_bytes(script)
    return TARGET


if __name__ == "__main__":
    sys.stdout.write(f"{axe_path()}\n")
