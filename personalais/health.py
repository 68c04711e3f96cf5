"""``/healthz``: liveness of the database, Redis and the Celery workers, as JSON.

200 only when all three answer; 503 otherwise, naming what failed, so a load balancer
or ``docker compose`` healthcheck sees the truth.
"""

from __future__ import annotations

import redis
from django.conf import settings
from django.db import connection
from django.http import HttpRequest, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from personalais.celery import app


def _check_database() -> dict[str, object]:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT extversion FROM pg_extension WHERE extname = 'vector'")
            row = cursor.fetchone()
    except Exception as exc:  # any driver error means "down"
        return {"ok": False, "error": type(exc).__name__}
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
    checks = {"database": _check_database(), "redis": _check_redis()}
    checks["worker"] = _check_workers() if checks["redis"]["ok"] else {"ok": False, "workers": 0}
    healthy = all(check["ok"] for check in checks.values())
    return JsonResponse(
        {"status": "ok" if healthy else "degraded", "checks": checks}, status=200 if healthy else 503
    )
