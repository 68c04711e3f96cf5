"""Running a stand-in: a listening socket first, its address printed, then uvicorn on it.

Binding before uvicorn starts is what makes ``--port 0`` usable: the kernel picks a free port,
the first line of output names it (tests and ``personalais/stack.py`` read the port from that
line), and since the socket already listens, a client that connects at once waits in the
backlog instead of being refused.
"""

from __future__ import annotations

import logging
import socket
from collections.abc import Callable
from typing import Any

import uvicorn
from starlette.types import ASGIApp

from standins.web.faults import ConnectionDropped

# Clients keep pooled connections across long idle gaps (a whole test session); closing them
# after uvicorn's default 5 s would race a client reusing one at that moment.
KEEP_ALIVE_SECONDS = 3600
# On SIGTERM, requests still sleeping in a latency fault get this long before they are cut.
SHUTDOWN_GRACE_SECONDS = 1


def listening_socket(host: str, port: int) -> socket.socket:
    """A socket bound to ``host``:``port`` (0: any free port) and already listening.

    Made with ``IPPROTO_TCP`` spelled out: asyncio turns Nagle off (``TCP_NODELAY``) only on
    connections whose socket says so, and with Nagle on, a body written after its headers
    waits for the client's delayed ACK, about 40 ms on every keep-alive request.
    """
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # a restart may reuse the port at once
        sock.bind((host, port))
        sock.listen(128)
    except OSError:
        sock.close()
        raise
    return sock


def base_url(sock: socket.socket) -> str:
    host, port = sock.getsockname()[:2]
    return f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"


def serve(app: ASGIApp, *, host: str, port: int, quiet: bool, banner: Callable[[str], str]) -> None:
    """Serve ``app`` until SIGINT or SIGTERM. ``banner(base_url)`` is printed first, so its first
    line must name the address; ``quiet`` leaves out the request log (errors still go to stderr)."""
    sock = listening_socket(host, port)
    print(banner(base_url(sock)), flush=True)
    try:
        uvicorn_server(app, quiet=quiet).run(sockets=[sock])
    except KeyboardInterrupt:
        pass  # uvicorn re-raises the Ctrl-C it shut down for; stopping is what was asked
    finally:
        sock.close()


def uvicorn_server(app: ASGIApp, *, quiet: bool) -> uvicorn.Server:
    config = uvicorn.Config(
        app,
        lifespan="off",
        log_config=_log_config(quiet),
        access_log=not quiet,
        timeout_keep_alive=KEEP_ALIVE_SECONDS,
        timeout_graceful_shutdown=SHUTDOWN_GRACE_SECONDS,
    )
    return uvicorn.Server(config)


class DropsOnPurpose(logging.Filter):
    """Hides uvicorn's "Exception in ASGI application" for a ``ConnectionDropped``: a fault a test
    asked for is not an error of the stand-in."""

    def filter(self, record: logging.LogRecord) -> bool:
        error = record.exc_info[1] if record.exc_info else None
        return not isinstance(error, ConnectionDropped)


def _log_config(quiet: bool) -> dict[str, Any]:
    """Everything on stderr: stdout carries only the banner, and a parent that reads its first
    line and no more must not see the pipe fill up and the stand-in block on a log write."""
    stderr = {"class": "logging.StreamHandler", "stream": "ext://sys.stderr"}
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {"drops": {"()": DropsOnPurpose}},
        "formatters": {
            "plain": {"format": "%(levelname)s: %(message)s"},
            "access": {
                "()": "uvicorn.logging.AccessFormatter",
                "fmt": '%(client_addr)s - [%(asctime)s] "%(request_line)s" %(status_code)s',
                "use_colors": False,
            },
        },
        "handlers": {
            "errors": {**stderr, "formatter": "plain", "filters": ["drops"]},
            "access": {**stderr, "formatter": "access"},
        },
        "loggers": {
            "uvicorn.error": {"handlers": ["errors"], "level": "WARNING", "propagate": False},
            "uvicorn.access": {
                "handlers": ["access"],
                "level": "WARNING" if quiet else "INFO",
                "propagate": False,
            },
        },
    }
