"""Guessing passwords is throttled everywhere, and a stranger's guesses never lock the owner out."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.core.cache import cache

pytestmark = pytest.mark.django_db

RIGHT = "correct horse battery"  # alice's, from the fixture
LOCKED = b"Too many failed login attempts"


@pytest.fixture(autouse=True)
def fresh_counts():
    cache.clear()  # the counts live in the cache, which outlives a test
    yield
    cache.clear()


def _login(client, email: str, password: str, ip: str):
    return client.post("/accounts/login/", {"login": email, "password": password}, REMOTE_ADDR=ip)


def test_a_strangers_wrong_guesses_do_not_lock_the_owner_out(client, alice):
    assert LOCKED not in _login(client, alice.email, "guess guess guess", ip="203.0.113.7").content
    for _ in range(5):
        _login(client, alice.email, "guess guess guess", ip="203.0.113.7")
    assert LOCKED in _login(client, alice.email, RIGHT, ip="203.0.113.7").content  # that address is stopped
    assert _login(client, alice.email, RIGHT, ip="198.51.100.20").status_code == 302  # the owner, elsewhere


def test_the_admin_login_is_the_throttled_one(client, alice, admin_user):
    response = client.get("/admin/login/?next=/admin/")
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/?next=/admin/")
    # Posting passwords at the admin's form is never checked there.
    for _ in range(40):
        assert client.post("/admin/login/", {"username": alice.email, "password": "x"}).status_code == 302
    client.force_login(alice)
    assert client.get("/admin/login/").status_code == 403  # logged in, not staff: no loop
    client.force_login(admin_user)
    assert client.get("/admin/").status_code == 200


def test_a_superuser_from_createsuperuser_signs_in_at_the_site_login_and_reaches_the_admin(client):
    get_user_model().objects.create_superuser(email="boss@example.com", password="a staff pass phrase 9")
    response = client.post(
        "/accounts/login/?next=/admin/", {"login": "boss@example.com", "password": "a staff pass phrase 9"}
    )
    assert response.status_code == 302 and response["Location"] == "/admin/"
    assert client.get("/admin/").status_code == 200
