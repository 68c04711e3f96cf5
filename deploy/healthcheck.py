"""The web container's healthcheck: ``/healthz`` asked as the proxy asks it.

Production settings answer only an allowed host and send plain HTTP to HTTPS, so a bare
``http://127.0.0.1:8000/healthz`` gets a 400 or a redirect. This sends the first concrete host of
``ALLOWED_HOSTS`` and ``X-Forwarded-Proto: https``, as Caddy does. Exit 0 when it answers 200.
"""

from __future__ import annotations

import os
import sys
import urllib.error
import urllib.request


def public_host() -> str:
    for host in os.environ.get("ALLOWED_HOSTS", "").split(","):
        host = host.strip().lstrip(".")
        if host and "*" not in host:
            return host
    return "localhost"


def main() -> int:
    request = urllib.request.Request(
        f"http://127.0.0.1:{os.environ.get('PORT', '8000')}/healthz",
        headers={"Host": public_host(), "X-Forwarded-Proto": "https"},
    )
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            return 0 if response.status == 200 else 1
    except (OSError, urllib.error.URLError) as exc:
        print(f"unhealthy: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
