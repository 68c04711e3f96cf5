"""The WebSocket origin check: this site's own origin (scheme, host *and* port) or a trusted one.

Browsers send cookies with a cross-site WebSocket handshake, so the origin is what stands
between another page and a listener's chat. Channels' ``AllowedHostsOriginValidator`` compares
only the origin's host with ALLOWED_HOSTS: a page on another port or scheme of the same host
passed. Here the rule is Django's CSRF rule for unsafe requests: the ``Origin`` must equal the
handshake's own origin (its ``Host`` header, which must be an allowed host, with the socket's
scheme), or be listed in ``CSRF_TRUSTED_ORIGINS`` (a TLS proxy in front: list the public origin).
"""

from __future__ import annotations

from typing import Any

from channels.security.websocket import WebsocketDenier
from django.conf import settings
from django.http.request import split_domain_port, validate_host

DEFAULT_PORTS = {"http": "80", "https": "443"}


def _normal(origin: str) -> str:
    """scheme://host[:port], lower case, the scheme's default port dropped."""
    scheme, _, rest = origin.strip().lower().rstrip("/").partition("://")
    _domain, port = split_domain_port(rest)
    if port and DEFAULT_PORTS.get(scheme) == port:
        rest = rest[: -(len(port) + 1)]
    return f"{scheme}://{rest}"


def origin_allowed(scope: dict) -> bool:
    headers = {name.lower(): value for name, value in scope.get("headers", [])}
    origin = headers.get(b"origin", b"").decode("latin-1")
    host = headers.get(b"host", b"").decode("latin-1").strip().lower()
    if not origin or origin == "null" or "://" not in origin:
        return False
    if _normal(origin) in {_normal(trusted) for trusted in settings.CSRF_TRUSTED_ORIGINS}:
        return True
    domain, _port = split_domain_port(host)
    if not domain or not validate_host(domain, settings.ALLOWED_HOSTS):
        return False
    scheme = "https" if scope.get("scheme") in ("wss", "https") else "http"
    return _normal(origin) == _normal(f"{scheme}://{host}")


class SameOriginValidator:
    """ASGI middleware: a WebSocket handshake from any other origin is refused (HTTP 403)."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        if scope["type"] == "websocket" and not origin_allowed(scope):
            await WebsocketDenier()(scope, receive, send)
            return
        await self.app(scope, receive, send)
