"""``/healthz``: liveness of the database, Redis and the Celery workers, as JSON.

200 only when all three answer; 503 otherwise, naming what failed, so a load balancer
or ``docker compose`` healthcheck sees the truth. Each check has ``CHECK_SECONDS``: a frozen
PostgreSQL (a connection that never answers) is "timeout", not a request hanging with it.
The public sees only ok/failed per part; versions and worker counts are for staff.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as CheckTimeout

import redis
from django.conf import settings
from django.db import connection
from django.http import HttpRequest, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from personalais.celery import app

CHECK_SECONDS = 2.0
# Checks run here so a hung one can be left behind; a few threads, since a hung check holds one.
_checks = ThreadPoolExecutor(max_workers=4, thread_name_prefix="healthz")


def bounded(check: Callable[[], dict[str, object]], seconds: float = CHECK_SECONDS) -> dict[str, object]:
    """The check's answer, or a failure named "timeout" after ``seconds`` (the check runs on)."""
    try:
        return _checks.submit(check).result(timeout=seconds)
    except CheckTimeout:
        return {"ok": False, "error": "timeout"}


def _check_database() -> dict[str, object]:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT extversion FROM pg_extension WHERE extname = 'vector'")
            row = cursor.fetchone()
    except Exception as exc:  # any driver error means "down"
        return {"ok": False, "error": type(exc).__name__}
    finally:
        connection.close()  # this thread's own connection: none is left open in the pool thread
    return {"ok": row is not None, "pgvector": row[0] if row else None}


def _check_redis() -> dict[str, object]:
    try:
        client = redis.Redis.from_url(settings.REDIS_URL, socket_connect_timeout=1, socket_timeout=1)
        client.ping()
    except redis.RedisError as exc:
        return {"ok": False, "error": type(exc).__name__}
    return {"ok": True}


def _check_workers() -> dict[str, object]:
    try:
        replies = app.control.ping(timeout=1.0) or []
    except Exception as exc:  # broker down: the worker cannot be reached either
        return {"ok": False, "error": type(exc).__name__, "workers": 0}
    return {"ok": bool(replies), "workers": len(replies)}


@require_GET
@never_cache
def healthz(request: HttpRequest) -> JsonResponse:
    checks = {"database": bounded(_check_database), "redis": bounded(_check_redis)}
    checks["worker"] = bounded(_check_workers) if checks["redis"]["ok"] else {"ok": False, "workers": 0}
    healthy = all(check["ok"] for check in checks.values())
    if not (request.user.is_authenticated and request.user.is_staff):
        checks = {name: _public(check) for name, check in checks.items()}
    return JsonResponse(
        {"status": "ok" if healthy else "degraded", "checks": checks}, status=200 if healthy else 503
    )


def _public(check: dict[str, object]) -> dict[str, object]:
    """What anyone may see: whether it works, and if not, the kind of failure."""
    return {key: value for key, value in check.items() if key in ("ok", "error")}
