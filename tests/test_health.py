from __future__ import annotations

from django.test import override_settings


def test_health_says_degraded_with_503_when_redis_is_unreachable(client, db):
    with override_settings(REDIS_URL="redis://127.0.0.1:1/0"):
        response = client.get("/healthz")
    body = response.json()
    assert response.status_code == 503
    assert body["status"] == "degraded"
    assert body["checks"]["redis"]["ok"] is False
    assert body["checks"]["worker"]["ok"] is False
    assert body["checks"]["database"]["ok"] is True
