"""Ready a web process before its first listener: the models loaded, the heap frozen.

A chat turn's first mood reading and mood query load two ONNX models (~1 s on two cores),
which the first listener to speak would otherwise wait for. Then ``gc.freeze()`` moves
everything loaded so far (Django, the apps, the models' Python side: ~220k objects) out of the
collector's reach: before, a full collection walked all of it every few dozen turns and
paused the whole process for up to ~190 ms (``bench/turn_profile.py``), the chat's worst
latencies under load.
"""

from __future__ import annotations

import gc
import logging

from mood.encoder import embed_text
from mood.perception import mood_from_text

logger = logging.getLogger(__name__)


def web_process_warm() -> None:
    """Load what a turn needs, then freeze the heap; a model that cannot load is left for the
    first turn to report (the process still serves pages)."""
    try:
        mood_from_text("hello there")
        embed_text("calm. hello there")
    except Exception:
        logger.exception("warming the models failed; the first chat turn will load them")
    gc.collect()
    gc.freeze()
