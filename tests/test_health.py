from __future__ import annotations

import time

from django.db import connection
from django.test import override_settings

from personalais.health import bounded


def test_health_says_degraded_with_503_when_redis_is_unreachable(client, db):
    with override_settings(REDIS_URL="redis://127.0.0.1:1/0"):
        response = client.get("/healthz")
    body = response.json()
    assert response.status_code == 503
    assert body["status"] == "degraded"
    assert body["checks"]["redis"]["ok"] is False
    assert body["checks"]["worker"]["ok"] is False
    assert body["checks"]["database"]["ok"] is True


def test_the_public_sees_ok_or_failed_not_versions_or_worker_counts(client, db, admin_user):
    body = client.get("/healthz").json()
    assert all(set(check) <= {"ok", "error"} for check in body["checks"].values())
    client.force_login(admin_user)
    staff = client.get("/healthz").json()
    assert "pgvector" in staff["checks"]["database"]


def test_a_check_that_hangs_is_a_timeout_not_a_hung_request(transactional_db):
    def frozen() -> dict[str, object]:  # a query PostgreSQL takes 5 s to answer, as a frozen server would
        try:
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_sleep(5)")
        finally:
            connection.close()
        return {"ok": True}

    started = time.perf_counter()
    assert bounded(frozen, seconds=0.5) == {"ok": False, "error": "timeout"}
    assert time.perf_counter() - started < 1.5


def test_the_favicon_browsers_ask_for_leads_to_the_icon(client):
    response = client.get("/favicon.ico")
    assert response.status_code == 301 and response["Location"].endswith("favicon.svg")
