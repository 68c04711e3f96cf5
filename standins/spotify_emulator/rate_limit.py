"""Spotify's app-wide rate limit: a rolling window of calls per app."""

from __future__ import annotations

import math
import threading
import time
from collections import defaultdict, deque
from collections.abc import Callable

WINDOW_SECONDS = 30.0  # Spotify counts an app's calls over a rolling 30-second window
DEFAULT_RATE_LIMIT = 600  # generous: only tests that lower it ever meet it


class RateLimiter:
    """At most ``limit`` calls per app in any rolling ``window`` seconds.

    Over the limit a call answers 429 with ``Retry-After`` = the seconds until the oldest call
    in the window leaves it. Refused calls are not counted, so waiting that long always works.
    ``limit`` 0 turns it off.
    """

    def __init__(
        self, limit: int, window: float = WINDOW_SECONDS, *, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self._lock = threading.Lock()
        self._calls: dict[str, deque[float]] = defaultdict(deque)
        self._clock = clock
        self.limit = limit
        self.window = window

    def configure(self, limit: int, window: float) -> None:
        with self._lock:
            self.limit, self.window = limit, window
            self._calls.clear()

    def reset(self) -> None:
        with self._lock:
            self._calls.clear()

    def admit(self, key: str) -> int | None:
        """None when the call may go ahead (and is counted); else the Retry-After in seconds."""
        if self.limit <= 0:
            return None
        now = self._clock()
        with self._lock:
            calls = self._calls[key]
            while calls and calls[0] <= now - self.window:
                calls.popleft()
            if len(calls) >= self.limit:
                return max(1, math.ceil(calls[0] + self.window - now))
            calls.append(now)
        return None
