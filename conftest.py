"""One fixture world for every test: Alice owns things, Charlie must never see them."""

from __future__ import annotations

import pytest

from recommender.profiles import track_profiles_refresh
from tests.factories import UserFactory, make_small_catalog

# The stand-ins' fixtures (the Spotify emulator, the LLM), shared by every app's tests.
pytest_plugins = ["tests.emulator", "tests.llm_standin"]


@pytest.fixture
def alice(db):
    return UserFactory.create(
        email="alice@example.com", password="correct horse battery", display_name="Alice"
    )


@pytest.fixture
def charlie(db):
    return UserFactory.create(email="charlie@example.com", password="another good password")


@pytest.fixture
def small_catalog(db):
    """24 tracks across moods, with embedded profiles, ready for recommendation."""
    tracks = make_small_catalog()
    track_profiles_refresh()
    return tracks
