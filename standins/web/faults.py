"""Fault injection both stand-ins share: rules good for a number of requests, and a cut connection.

What a rule *does* is each stand-in's own (a Spotify 429 is not an OpenAI 429); how rules are
counted down and picked, and how a response is broken off mid-body, is the same for both.
"""

from __future__ import annotations

import math
import threading
from collections.abc import AsyncIterator, Callable, Mapping
from typing import Any

from starlette.responses import StreamingResponse

from standins.web.responses import streaming_response

Rule = dict[str, Any]


class CountedRules:
    """Rules in the order they were added, each good for ``rule["count"]`` requests (None: until
    cleared). Spent rules stay listed with count 0, so a test can see what fired.

    Safe to use from any thread: uvicorn answers requests concurrently, and a rule meant for one
    request must fire for exactly one.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._rules: list[Rule] = []

    def add(self, rule: Rule) -> Rule:
        with self._lock:
            self._rules.append(rule)
            return dict(rule)

    def take(self, applies: Callable[[Rule], bool]) -> Rule | None:
        """A copy of the first live rule that ``applies`` to this request, counted down by one."""
        with self._lock:
            for rule in self._rules:
                if (rule["count"] is None or rule["count"] > 0) and applies(rule):
                    if rule["count"] is not None:
                        rule["count"] -= 1
                    return dict(rule)
        return None

    def listed(self) -> list[Rule]:
        with self._lock:
            return [dict(rule) for rule in self._rules]

    def clear(self) -> None:
        with self._lock:
            self._rules.clear()


def retry_after_headers(seconds: float, *, millis: bool = False) -> dict[str, str]:
    """``Retry-After`` in whole seconds, rounded up so a client that obeys it is never early;
    ``millis`` adds OpenAI's ``retry-after-ms``, which its SDK prefers for short waits."""
    headers = {"Retry-After": str(math.ceil(seconds))}
    if millis:
        headers["retry-after-ms"] = str(round(seconds * 1000))
    return headers


class ConnectionDropped(Exception):
    """Raised inside a response body to cut the connection where it stands.

    uvicorn then closes the socket without finishing the body: no last chunk of a chunked
    stream, fewer bytes than ``Content-Length`` promised. That is what a client sees when a
    server dies mid-response, so its error handling meets the real thing. ``serve`` keeps the
    error uvicorn logs for it out of the log, since the cut is on purpose.
    """


def cut_short(status: int, body: bytes, content_type: str, headers: Mapping[str, str]) -> StreamingResponse:
    """A response that promises all of ``body`` in ``Content-Length``, sends half and drops."""

    async def half() -> AsyncIterator[bytes]:
        yield body[: len(body) // 2]
        raise ConnectionDropped

    return streaming_response(
        half(), content_type, {**headers, "Content-Length": str(len(body))}, status=status
    )
