"""One fixture world for every test: Alice owns things, Charlie must never see them."""

from __future__ import annotations

import pytest


@pytest.fixture
def alice(db):
    from accounts.models import User

    return User.objects.create_user("alice@example.com", "correct horse battery", display_name="Alice")


@pytest.fixture
def charlie(db):
    from accounts.models import User

    return User.objects.create_user("charlie@example.com", "another good password")
