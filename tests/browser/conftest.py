"""Browser tests: Debian's chromium driven by Playwright against a live daphne server.

They run in their own pytest invocation (`make test-browser`): Playwright's sync API
and pytest-asyncio cannot share a process.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import os

# Playwright's sync API keeps an event loop in the main thread; the ORM calls our
# test set-up makes there are still synchronous and safe.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

with contextlib.suppress(RuntimeError):  # already set by an earlier import
    multiprocessing.set_start_method("spawn")
