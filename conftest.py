"""One fixture world for every test: Alice owns things, Charlie must never see them."""

from __future__ import annotations

import pytest

from tests.factories import make_small_catalog

# The Spotify emulator fixtures, shared by every app's tests.
pytest_plugins = ["tests.emulator", "tests.llm_standin"]


@pytest.fixture
def alice(db):
    from accounts.models import User

    return User.objects.create_user("alice@example.com", "correct horse battery", display_name="Alice")


@pytest.fixture
def charlie(db):
    from accounts.models import User

    return User.objects.create_user("charlie@example.com", "another good password")


@pytest.fixture
def small_catalog(db):
    """24 tracks across moods, with embedded profiles, ready for recommendation."""
    from recommender.profiles import track_profiles_refresh

    tracks = make_small_catalog()
    track_profiles_refresh()
    return tracks
