"""Failures and latency that tests inject into the emulator's /v1 calls, as Spotify shows them."""

from __future__ import annotations

from starlette.responses import Response

from standins.spotify_emulator.errors import error_response
from standins.spotify_emulator.store import Obj, StoreError
from standins.web.faults import CountedRules, retry_after_headers
from standins.web.responses import json_response

QUOTA_MESSAGE = "QUOTA_EXCEEDED: the app's request quota is used up"


class Faults:
    """Injected failures for tests, all on /v1 paths under ``path`` (default every /v1 call).

    ``{"status": 503, "count": 2}`` answers the next two calls with that status (429 carries
    ``Retry-After: retry_after``; ``"quota": true`` makes it the QUOTA_EXCEEDED kind without one);
    ``{"latency_ms": 1500}`` delays every call until cleared (or the next ``count`` calls).
    """

    def __init__(self) -> None:
        self._failures = CountedRules()
        self._delays = CountedRules()

    def add(self, rule: Obj) -> Obj:
        path = str(rule.get("path", "/v1/"))
        if "latency_ms" in rule:
            latency_ms = whole_number(rule, "latency_ms", 0)
            count = None if rule.get("count") is None else whole_number(rule, "count", 1)
            return self._delays.add({"latency_ms": latency_ms, "count": count, "path": path})
        status = rule.get("status")
        if not isinstance(status, int) or not 400 <= status <= 599:
            raise StoreError(400, "status must be an HTTP error status")
        entry = {
            "status": status,
            "count": whole_number(rule, "count", 1),
            "retry_after": whole_number(rule, "retry_after", 1),
            "quota": bool(rule.get("quota", False)),
            "path": path,
        }
        return self._failures.add(entry)

    def clear(self) -> None:
        self._failures.clear()
        self._delays.clear()

    def listed(self) -> list[Obj]:
        return [*self._failures.listed(), *self._delays.listed()]

    def delay(self, path: str) -> float:
        """Seconds to wait before answering, from the first latency rule that matches."""
        rule = self._delays.take(lambda rule: path.startswith(rule["path"]))
        return rule["latency_ms"] / 1000 if rule else 0.0

    def take(self, path: str) -> Response | None:
        """The injected answer for this call, if a failure rule matches it."""
        rule = self._failures.take(lambda rule: path.startswith(rule["path"]))
        if rule is None:
            return None
        if rule["status"] == 429 and rule["quota"]:
            error = {"status": 429, "message": QUOTA_MESSAGE, "reason": "QUOTA_EXCEEDED"}
            return json_response(429, {"error": error})
        if rule["status"] == 429:
            return error_response(429, "API rate limit exceeded", retry_after_headers(rule["retry_after"]))
        return error_response(rule["status"], "Injected failure")


def whole_number(rule: Obj, name: str, default: int) -> int:
    value = rule.get(name, default)
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise StoreError(400, f"{name} must be a whole number")
    return value
