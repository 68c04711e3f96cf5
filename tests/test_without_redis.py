"""Redis away: the site and a chat turn carry on (the cache misses, no channel layer is needed)."""

from __future__ import annotations

import time

import pytest
from django.core.cache import cache
from django.test import override_settings

from chat.agent.turn import run_turn
from chat.models import Message

DEAD_REDIS = {
    "default": {"BACKEND": "personalais.cache.ForgivingRedisCache", "LOCATION": "redis://127.0.0.1:1/0"}
}


@pytest.mark.django_db
def test_the_cache_misses_and_skips_writes_quickly_when_redis_is_gone():
    with override_settings(CACHES=DEAD_REDIS):
        started = time.perf_counter()
        cache.set("k", 1)
        assert cache.get("k", "missing") == "missing"
        assert cache.add("lock", True)  # a lock loop (allauth's) must not spin forever
        assert time.perf_counter() - started < 3


@pytest.mark.django_db
def test_password_login_answers_when_redis_is_gone(client, alice):
    with override_settings(CACHES=DEAD_REDIS):
        wrong = client.post("/accounts/login/", {"login": alice.email, "password": "nope nope nope"})
        assert wrong.status_code == 200  # the form again, with its error: not a 500
        right = client.post("/accounts/login/", {"login": alice.email, "password": "correct horse battery"})
        assert right.status_code == 302


@pytest.mark.django_db
def test_a_chat_turn_is_answered_and_stored_when_redis_is_gone(alice, small_catalog):
    with override_settings(CACHES=DEAD_REDIS):
        result = run_turn(user=alice, text="play something calm")
    assert [e for e in result.events if e["type"] == "tracks"]
    assert Message.objects.filter(conversation__user=alice).count() == 2
