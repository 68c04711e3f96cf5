"""Log in with Spotify through the emulator's consent page, see the synced library, save a playlist."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pytest
import requests
from channels.testing import ChannelsLiveServerTestCase
from django.test import override_settings
from playwright.sync_api import expect, sync_playwright

from catalog.demo import demo_catalog_load
from catalog.models import Track
from recommender.profiles import track_profiles_refresh
from spotify.models import LibrarySync
from tests.browser.test_journey import ARTIFACTS, CHROMIUM_ARGS
from tests.conftest import celery_worker
from tests.emulator import MALIK, emulator_starter

CLIENT_ID = "personalais-browser-tests"


@pytest.mark.browser
class SpotifyJourneyTests(ChannelsLiveServerTestCase):
    @classmethod
    def setUpClass(cls) -> None:
        # The emulator first: the live server and the worker are processes that read these from the env.
        cls._store = tempfile.TemporaryDirectory()
        start, cls._emulators = emulator_starter(Path(cls._store.name) / "store.json")
        cls.emulator = start()
        cls.spotify_env = {
            "SPOTIFY_API_BASE_URL": cls.emulator.api,
            "SPOTIFY_ACCOUNTS_BASE_URL": f"{cls.emulator.base}/",
            "SPOTIFY_CLIENT_ID": CLIENT_ID,
        }
        os.environ.update(cls.spotify_env)
        cls._settings = override_settings(**cls.spotify_env)
        cls._settings.enable()
        super().setUpClass()
        cls._worker = celery_worker(**cls.spotify_env)
        cls._worker.__enter__()
        cls.playwright = sync_playwright().start()
        cls.browser = cls.playwright.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)

    @classmethod
    def tearDownClass(cls) -> None:
        cls.browser.close()
        cls.playwright.stop()
        cls._worker.__exit__(None, None, None)
        super().tearDownClass()
        cls._settings.disable()
        for name in cls.spotify_env:
            os.environ.pop(name, None)
        for emulator in cls._emulators:
            emulator.stop()
        cls._store.cleanup()

    def setUp(self) -> None:
        # The emulator's own catalog, so the tracks we save exist on "Spotify"; embedding a low-valence
        # slice keeps the test fast while a sad request still finds fitting tracks.
        demo_catalog_load()
        low_valence = Track.objects.filter(valence__lt=0.3).values_list("pk", flat=True)[:300]
        track_profiles_refresh(track_ids=list(low_valence))
        self.page = self.browser.new_page(viewport={"width": 1280, "height": 900})

    def tearDown(self) -> None:
        self.page.close()

    def test_a_listener_logs_in_with_spotify_sees_their_library_and_saves_a_playlist(self) -> None:
        page = self.page
        page.goto(self.live_server_url + "/accounts/login/")
        page.get_by_role("button", name="Log in with Spotify").click()

        # The emulator's consent page stands in for Spotify's.
        expect(page.get_by_text("Choose a demo listener")).to_be_visible(timeout=15_000)
        page.get_by_role("button", name=MALIK["display_name"]).click()
        expect(page.locator("#status")).to_have_text("Connected", timeout=20_000)

        page.goto(self.live_server_url + "/library/")
        expect(page.locator("#sync-state")).to_have_attribute("data-state", "done", timeout=60_000)
        expect(page.locator("#sync-state")).to_have_text("Up to date")
        expect(page.locator("#top-tracks li")).to_have_count(10)
        self.assertEqual(LibrarySync.objects.get(user__email=MALIK["email"]).state, LibrarySync.State.DONE)
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "library.png"), full_page=True)

        page.goto(self.live_server_url + "/chat/")
        expect(page.locator("#status")).to_have_text("Connected", timeout=15_000)
        page.fill("#message", "I feel down today, play me something gentle")
        page.press("#message", "Enter")
        cards = page.locator(".track")
        expect(cards.first).to_be_visible(timeout=20_000)
        track_ids = [cards.nth(i).get_attribute("data-spotify-id") for i in range(cards.count())]

        # Malik has Premium and granted the player scopes: ▶ plays the list as a queue through the
        # Web Playback SDK (the emulator's stand-in), starting at the card pressed.
        cards.nth(2).locator("button.play").click()
        expect(page.locator("#player .sdk-controls")).to_be_visible(timeout=20_000)
        expect(page.locator("#player .sdk-controls")).to_be_in_viewport()
        player = requests.get(
            f"{self.emulator.base}/_emulator/player", params={"user_id": MALIK["id"]}, timeout=5
        )
        playback = player.json()["playback"]
        self.assertEqual(playback["uris"], [f"spotify:track:{t}" for t in track_ids])
        self.assertEqual(playback["index"], 2)

        page.fill("input[name=playlist-name]", "Rainy Sunday")
        page.get_by_role("button", name="Save to Spotify").click()
        expect(page.locator(".msg.action")).to_contain_text("Rainy Sunday", timeout=20_000)
        page.screenshot(path=str(ARTIFACTS / "playlist-saved.png"), full_page=True)

        remote = [p for p in self.emulator.state(MALIK["id"])["playlists"] if p["name"] == "Rainy Sunday"]
        self.assertEqual(len(remote), 1)
        self.assertEqual(remote[0]["track_ids"], track_ids)
