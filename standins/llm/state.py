"""What the stand-in holds between requests: its brain and models, queued replies and faults,
and the chat requests it received (which tests read back)."""

from __future__ import annotations

import threading
from collections import deque
from typing import Any

from starlette.requests import Request

from standins.llm.brains import Brain
from standins.llm.faults import Faults


class Standin:
    def __init__(
        self, brain: Brain, *, models: list[str], api_key: str | None = None, chunk_delay: float = 0.0
    ) -> None:
        self.brain = brain
        self.models = models
        self.api_key = api_key
        self.chunk_delay = chunk_delay  # seconds between streamed chunks, so streaming shows
        self.faults = Faults()
        self._lock = threading.Lock()
        self._script: deque[dict[str, Any]] = deque()
        self._received: list[dict[str, Any]] = []

    def record(self, body: dict[str, Any]) -> None:
        """Every chat request body, in order, faulted and refused ones too."""
        with self._lock:
            self._received.append(body)

    def received(self) -> list[dict[str, Any]]:
        with self._lock:
            return list(self._received)

    def script_extend(self, replies: list[dict[str, Any]]) -> int:
        with self._lock:
            self._script.extend(replies)
            return len(self._script)

    def script_next(self) -> dict[str, Any] | None:
        """The next queued reply, FIFO; None when the brain should answer."""
        with self._lock:
            return self._script.popleft() if self._script else None

    def reset(self) -> None:
        self.faults.clear()
        with self._lock:
            self._script.clear()
            self._received.clear()


def standin_of(request: Request) -> Standin:
    return request.app.state.standin
