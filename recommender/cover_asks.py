"""Cover lookups asked of the worker in batches: one Celery message a second per web process.

Publishing a task costs a chat turn ~1.3 ms of CPU (``bench/turn_profile.py``), and nearly every
list of the demo catalog has a track without a cover yet. Asks made within ``BATCH_SECONDS`` go out
together as one ``album_art_fill``; a new list's covers show on reload either way.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterable

logger = logging.getLogger(__name__)

BATCH_SECONDS = 1.0


class CoverAsks:
    """Track ids gathered from many turns and sent by ``send`` in one call, ``delay`` seconds after
    the first of them; a failed send is logged (the next list asks again), never raised."""

    def __init__(self, send: Callable[[list[int]], object], delay: float = BATCH_SECONDS) -> None:
        self._send = send
        self._delay = delay
        self._lock = threading.Lock()
        self._pending: set[int] = set()
        self._timer: threading.Timer | None = None

    def add(self, track_ids: Iterable[int]) -> None:
        with self._lock:
            self._pending.update(track_ids)
            if self._pending and self._timer is None:
                self._timer = threading.Timer(self._delay, self.flush)
                self._timer.daemon = True
                self._timer.start()

    def flush(self) -> list[int]:
        """Send what is pending now; returns the ids sent."""
        with self._lock:
            if self._timer is not None:
                self._timer.cancel()
                self._timer = None
            track_ids, self._pending = sorted(self._pending), set()
        if track_ids:
            try:
                self._send(track_ids)
            except Exception:  # the broker is away: covers stay initials until a later list asks
                logger.warning("asking the worker for %d covers failed", len(track_ids), exc_info=True)
        return track_ids
