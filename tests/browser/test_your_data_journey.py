"""A listener without Spotify brings their history, sees their moods, takes their data and leaves.

Upload a Spotify data download and watch the import run on the real worker → the Mood page's chart
→ export everything as JSON → delete the account. axe on every page on the way, at both widths.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from channels.testing import ChannelsLiveServerTestCase
from django.conf import settings
from playwright.sync_api import Page, expect, sync_playwright

from accounts.models import User
from catalog.demo import demo_catalog_load
from recommender.profiles import track_profiles_refresh
from spotify.models import Play, PlaySource
from tests.browser.axe import axe_serious
from tests.browser.test_journey import ARTIFACTS, CHROMIUM_ARGS
from tests.browser.test_listening import page_fits
from tests.conftest import celery_worker

DOWNLOAD = Path(settings.DEMO_DATA_DIR) / "spotify_download" / "my_spotify_data_extended.zip"
PASSWORD = "a long enough pass 42"


@pytest.mark.browser
class YourDataJourneyTests(ChannelsLiveServerTestCase):
    serve_static = True

    @classmethod
    def setUpClass(cls) -> None:
        super().setUpClass()
        cls._worker = celery_worker()
        cls._worker.__enter__()
        cls.playwright = sync_playwright().start()
        cls.browser = cls.playwright.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)

    @classmethod
    def tearDownClass(cls) -> None:
        cls.browser.close()
        cls.playwright.stop()
        cls._worker.__exit__(None, None, None)
        super().tearDownClass()

    def setUp(self) -> None:
        demo_catalog_load()  # the download's tracks are matched against the catalog
        track_profiles_refresh(track_ids=list(range(1, 200)))
        ARTIFACTS.mkdir(exist_ok=True)

    def test_import_mood_export_and_delete(self) -> None:
        context = self.browser.new_context(viewport={"width": 1280, "height": 900}, accept_downloads=True)
        page = context.new_page()
        page.goto(self.live_server_url + "/accounts/signup/")
        page.fill("input[name=email]", "leaver@example.com")
        page.fill("input[name=password1]", PASSWORD)
        page.fill("input[name=password2]", PASSWORD)
        page.get_by_role("button", name="Sign Up").click()
        expect(page.locator("#status")).to_have_text("Connected", timeout=15_000)
        page.fill("#message", "I feel down today")
        page.press("#message", "Enter")
        expect(page.locator(".msg.user .mood")).to_be_visible(timeout=20_000)

        # Upload the download; the page follows the worker without a reload.
        page.goto(self.live_server_url + "/library/")
        page.set_input_files("#import-files", str(DOWNLOAD))
        page.get_by_role("button", name="Import").click()
        expect(page.locator("#import-state")).to_have_attribute("data-state", "done", timeout=90_000)
        expect(page.locator("#import-count-rows")).to_have_text("1500")
        expect(page.locator("#import-count-matched")).to_contain_text("%")
        expect(page.locator("#import-summary")).to_be_visible()
        user = User.objects.get(email="leaver@example.com")
        imported = Play.objects.filter(user=user, source=PlaySource.IMPORT).count()
        self.assertGreater(imported, 1_000)
        self.assert_accessible(page, "library after an import")
        page.screenshot(path=str(ARTIFACTS / "your-data-import.png"), full_page=True)

        # The Mood page draws the chart and lists the day's mood.
        page.goto(self.live_server_url + "/mood/")
        canvas = page.locator("canvas")
        expect(canvas).to_be_visible()
        self.assertGreater(canvas.bounding_box()["height"], 100)
        expect(page.locator("table")).to_contain_text("down / sad")
        self.assert_accessible(page, "mood")

        # Export: one JSON file with the conversation and the imported plays.
        page.goto(self.live_server_url + "/account/data/")
        self.assert_accessible(page, "your data")
        with page.expect_download() as download:
            page.get_by_role("button", name="Export my data").click()
        exported = json.loads(Path(download.value.path()).read_text(encoding="utf-8"))
        self.assertEqual(exported["profile"]["email"], "leaver@example.com")
        texts = [m["text"] for c in exported["conversations"] for m in c["messages"]]
        self.assertIn("I feel down today", texts)
        self.assertEqual(sum(p["source"] == "import" for p in exported["plays"]), imported)
        self.assertNotIn("access_token", json.dumps(exported))

        # Delete, with the password as confirmation; the account is gone and cannot log in.
        page.goto(self.live_server_url + "/accounts/delete/")
        self.assert_accessible(page, "delete")
        page.fill("#id_confirm", "not my password")
        page.get_by_role("button", name="Delete my account and everything in it").click()
        expect(page.locator("#confirm-errors")).to_be_visible()
        page.fill("#id_confirm", PASSWORD)
        page.get_by_role("button", name="Delete my account and everything in it").click()
        expect(page.get_by_text("Your account and everything in it has been deleted.")).to_be_visible()
        self.assertFalse(User.objects.filter(email="leaver@example.com").exists())
        self.assertEqual(Play.objects.filter(user_id=user.pk).count(), 0)
        page.goto(self.live_server_url + "/accounts/login/")
        page.fill("input[name=login]", "leaver@example.com")
        page.fill("input[name=password]", PASSWORD)
        page.get_by_role("button", name="Sign In").click()
        expect(page.locator(".errorlist, .alert, [role=alert]").first).to_be_visible()
        context.close()

    def test_the_pages_fit_a_phone(self) -> None:
        context = self.browser.new_context(viewport={"width": 390, "height": 844})
        page = context.new_page()
        User.objects.create_user(email="phone@example.com", password=PASSWORD)
        page.goto(self.live_server_url + "/accounts/login/")
        page.fill("input[name=login]", "phone@example.com")
        page.fill("input[name=password]", PASSWORD)
        page.get_by_role("button", name="Sign In").click()
        expect(page.locator("#status")).to_have_text("Connected", timeout=15_000)
        for path in ("/library/", "/mood/", "/account/data/", "/accounts/delete/"):
            page.goto(self.live_server_url + path)
            self.assertEqual(page_fits(page)[0], 0, path)
            self.assert_accessible(page, path)
        page.goto(self.live_server_url + "/library/")
        page.screenshot(path=str(ARTIFACTS / "your-data-library-phone.png"), full_page=True)
        context.close()

    def assert_accessible(self, page: Page, what: str) -> None:
        self.assertEqual(axe_serious(page), [], f"axe: serious or critical on {what}")
