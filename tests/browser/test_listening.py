"""The chat as people use chats, at a desktop width and a phone width.

Sign up → chat → reload (the latest message and the composer in view) → play (the player in view,
holding the embed for that track) → vote (it survives a reload) → send with the keyboard alone; older
messages load on scrolling up; axe finds nothing serious on the pages a listener and staff open.
"""

from __future__ import annotations

import os
import re
import tempfile
from pathlib import Path

import pytest
from channels.testing import ChannelsLiveServerTestCase
from django.test import override_settings
from playwright.sync_api import Page, expect, sync_playwright

from accounts.models import User
from catalog.demo import demo_catalog_load
from catalog.models import Track
from chat.models import Conversation, Message
from recommender.profiles import track_profiles_refresh
from spotify.services import album_covers_fill
from tests.browser.axe import axe_serious
from tests.browser.test_journey import ARTIFACTS, CHROMIUM_ARGS
from tests.emulator import emulator_starter
from tests.factories import MessageFactory, UserFactory

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}
PASSWORD = "a long enough pass 42"
APP_ID, APP_SECRET = "personalais-listening-tests", "listening-tests-secret"


def page_fits(page: Page) -> tuple[int, int]:
    """How far the document overflows the window (width, height): (0, 0) when it fits."""
    return tuple(
        page.evaluate(
            """() => [document.documentElement.scrollWidth - window.innerWidth,
                      document.documentElement.scrollHeight - window.innerHeight]"""
        )
    )


@pytest.mark.browser
class ListeningTests(ChannelsLiveServerTestCase):
    serve_static = True

    @classmethod
    def setUpClass(cls) -> None:
        # The emulator serves the embed page offline; the live server reads these from the env.
        cls._store = tempfile.TemporaryDirectory()
        start, cls._emulators = emulator_starter(Path(cls._store.name) / "store.json")
        cls.emulator = start("--app", f"{APP_ID}:{APP_SECRET}")
        cls.spotify_env = {
            "SPOTIFY_API_BASE_URL": cls.emulator.api,
            "SPOTIFY_ACCOUNTS_BASE_URL": f"{cls.emulator.base}/",
            "SPOTIFY_CLIENT_ID": APP_ID,
            "SPOTIFY_CLIENT_SECRET": APP_SECRET,
        }
        os.environ.update(cls.spotify_env)
        cls._settings = override_settings(**cls.spotify_env)
        cls._settings.enable()
        super().setUpClass()
        cls.playwright = sync_playwright().start()
        cls.browser = cls.playwright.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)

    @classmethod
    def tearDownClass(cls) -> None:
        cls.browser.close()
        cls.playwright.stop()
        super().tearDownClass()
        cls._settings.disable()
        for name in cls.spotify_env:
            os.environ.pop(name, None)
        for emulator in cls._emulators:
            emulator.stop()
        cls._store.cleanup()

    def setUp(self) -> None:
        # The emulator's own catalog, so the embed knows every track; a low-valence slice keeps it fast.
        demo_catalog_load()
        low_valence = Track.objects.filter(valence__lt=0.3).values_list("pk", flat=True)[:300]
        track_profiles_refresh(track_ids=list(low_valence))
        ARTIFACTS.mkdir(exist_ok=True)

    def test_at_desktop_width(self) -> None:
        self.journey(DESKTOP, "desktop")

    def test_at_phone_width(self) -> None:
        self.journey(PHONE, "phone")

    def journey(self, viewport: dict, name: str) -> None:
        context = self.browser.new_context(viewport=viewport)
        page = context.new_page()
        problems: list[str] = []
        page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)

        # Sign up; the chat opens with the message box focused.
        page.goto(self.live_server_url + "/")
        self.assert_accessible(page, "landing")
        page.get_by_role("link", name="Get started").click()
        email = f"{name}@example.com"
        page.fill("input[name=email]", email)
        page.fill("input[name=password1]", PASSWORD)
        page.fill("input[name=password2]", PASSWORD)
        page.get_by_role("button", name="Sign Up").click()
        expect(page.locator("#status")).to_have_text("Connected", timeout=15_000)
        self.assertEqual(page.evaluate("document.activeElement.id"), "message")
        self.assertEqual(page.get_by_role("heading", level=1).inner_text(), "Chat")

        page.fill("#message", "I feel down today, play me something")
        page.press("#message", "Enter")
        cards = page.locator(".track")
        expect(cards.first).to_be_visible(timeout=25_000)
        shown = [int(cards.nth(i).get_attribute("data-track-id") or 0) for i in range(cards.count())]
        self.assertGreater(album_covers_fill(track_ids=shown), 0)  # what the queued task does
        # The list that just arrived is followed to its end, as chats follow new messages.
        expect(cards.last.locator(".play")).to_be_in_viewport(timeout=5_000)
        # Email-only listeners have no Spotify to save to: no button that could only fail.
        self.assertEqual(page.locator(".save-playlist").count(), 0)
        self.assert_accessible(page, "chat")

        # Reload: the latest message and the composer are in view; the page itself does not scroll.
        page.reload()
        expect(page.locator("#status")).to_have_text("Connected", timeout=15_000)
        last_card = page.locator(".track").last
        expect(last_card).to_be_visible(timeout=10_000)
        page.wait_for_timeout(300)
        self.assertEqual(page_fits(page), (0, 0))
        expect(page.locator("#composer")).to_be_in_viewport(ratio=1)
        expect(last_card.locator(".play")).to_be_in_viewport(ratio=1)
        # Covers the worker found (with the app's own token) are on the cards after a reload.
        expect(last_card.locator("img.cover")).to_have_attribute(
            "src", re.compile(f"^{self.emulator.base}/image/")
        )

        # Play: the player is in view with Spotify's embed (the emulator's stand-in) for that track.
        spotify_id = last_card.get_attribute("data-spotify-id")
        title = last_card.locator(".title").inner_text()
        artists = last_card.locator(".artists").inner_text()
        page.get_by_role("button", name=f"Play {title} by {artists}").click()
        embed = page.locator("#player iframe.embed")
        expect(embed).to_have_attribute("src", f"{self.emulator.base}/embed/track/{spotify_id}")
        expect(embed).to_be_in_viewport(ratio=1)
        expect(page.frame_locator("#player iframe.embed").locator("h1")).to_have_text(title, timeout=10_000)
        page.screenshot(path=str(ARTIFACTS / f"listening-{name}-playing.png"))

        # Vote ♥: the card says so, and still does after a reload; Preferences lists it.
        like = last_card.get_by_role("button", name=f"More like this: {title} by {artists}")
        like.click()
        expect(like).to_have_attribute("aria-pressed", "true", timeout=10_000)
        expect(last_card.locator(".vote-note")).to_have_text("Liked — more like this")
        page.reload()
        expect(page.locator("#status")).to_have_text("Connected", timeout=15_000)
        again = page.locator(f'.track[data-spotify-id="{spotify_id}"]').last
        expect(again.locator('.vote[data-kind="like"]')).to_have_attribute("aria-pressed", "true")
        expect(again).to_have_attribute("data-feedback", "like")

        # Keyboard alone: the first Tab on a page reaches the skip link, which leads to the message box.
        page.goto(self.live_server_url + "/library/")
        page.keyboard.press("Tab")
        self.assertEqual(page.evaluate("document.activeElement.className"), "skip-link")
        page.keyboard.press("Enter")
        self.assertEqual(page.evaluate("document.activeElement.id"), "main")
        page.goto(self.live_server_url + "/chat/")
        expect(page.locator("#status")).to_have_text("Connected", timeout=15_000)
        self.assertEqual(page.evaluate("document.activeElement.id"), "message")
        page.keyboard.press("Shift+Tab")
        page.keyboard.press("Shift+Tab")  # back past the log…
        page.evaluate("document.querySelector('.skip-link').focus()")
        page.keyboard.press("Enter")  # …and the skip link brings the listener straight back
        self.assertEqual(page.evaluate("document.activeElement.id"), "message")
        page.keyboard.type("thanks, that helps")
        page.keyboard.press("Enter")
        expect(page.locator(".msg.user .bubble").last).to_have_text("thanks, that helps", timeout=10_000)
        expect(page.locator(".msg.assistant").last).not_to_have_class("streaming", timeout=20_000)
        expect(page.locator("#send")).to_be_enabled(timeout=20_000)
        # Screen readers hear the whole reply once (a polite region), never the stream token by token.
        reply = page.locator(".msg.assistant .bubble").last.inner_text()
        expect(page.locator("#announcer")).to_have_text(f"PersonalAIs: {reply}")
        self.assertIsNone(page.locator("#log").get_attribute("aria-live"))
        expect(page.locator(".msg.user").last).to_be_in_viewport()
        expect(page.locator("#composer")).to_be_in_viewport(ratio=1)
        page.screenshot(path=str(ARTIFACTS / f"listening-{name}-chat.png"))

        # A paste past the limit is not cut: the counter says by how much, and Send waits.
        page.fill("#message", "x" * 2_010)
        expect(page.locator("#counter")).to_contain_text("10 too many")
        expect(page.locator("#send")).to_be_disabled()
        self.assertEqual(len(page.input_value("#message")), 2_010)
        page.fill("#message", "")

        page.goto(self.live_server_url + "/preferences/")
        expect(page.locator("#votes")).to_contain_text(title)
        self.assertEqual(page_fits(page)[0], 0)
        self.assert_accessible(page, "preferences")
        page.screenshot(path=str(ARTIFACTS / f"listening-{name}-preferences.png"), full_page=True)
        page.goto(self.live_server_url + "/library/")
        self.assertEqual(page_fits(page)[0], 0)
        self.assert_accessible(page, "library")
        page.screenshot(path=str(ARTIFACTS / f"listening-{name}-library.png"), full_page=True)

        self.older_messages_load_on_scroll_up(page, email)
        # The embed, covers and the player script all ran under the page's Content-Security-Policy.
        self.assertEqual([p for p in problems if "favicon" in p or "Content Security Policy" in p], [])
        context.close()

        self.logged_out_and_staff_pages(viewport, name)

    def older_messages_load_on_scroll_up(self, page: Page, email: str) -> None:
        conversation = Conversation.objects.filter(user__email=email).order_by("-updated_at").first()
        first = Message.objects.filter(conversation=conversation).order_by("created_at").first()
        assert first is not None
        # 60 earlier lines, written before everything on screen.
        for n in range(60):
            message = MessageFactory.create(conversation=conversation, text=f"earlier line {n}")
            Message.objects.filter(pk=message.pk).update(created_at=first.created_at.replace(year=2025))
        page.goto(self.live_server_url + "/chat/")
        expect(page.locator("#status")).to_have_text("Connected", timeout=15_000)
        expect(page.locator(".msg").first).to_be_visible()
        self.assertEqual(page.get_by_text("earlier line 0", exact=True).count(), 0)
        page.eval_on_selector("#log", "log => { log.scrollTop = 0; }")
        expect(page.get_by_text("earlier line 0", exact=True)).to_have_count(1, timeout=10_000)

    def logged_out_and_staff_pages(self, viewport: dict, name: str) -> None:
        context = self.browser.new_context(viewport=viewport)
        page = context.new_page()
        page.goto(self.live_server_url + "/accounts/login/")
        self.assertEqual(page_fits(page)[0], 0)
        self.assert_accessible(page, "login")
        staff = f"staff-{name}@example.com"
        UserFactory.create(email=staff, password=PASSWORD, is_staff=True, is_superuser=True)
        page.goto(self.live_server_url + "/admin/")
        page.fill("input[name=login]", staff)
        page.fill("input[name=password]", PASSWORD)
        page.get_by_role("button", name="Sign In").click()
        expect(page.locator("#site-name")).to_be_visible(timeout=10_000)
        self.assert_accessible(page, "admin index")
        page.goto(self.live_server_url + "/admin/recommender/rankingweights/add/")
        self.assert_accessible(page, "admin weights")
        page.screenshot(path=str(ARTIFACTS / f"listening-{name}-admin-weights.png"), full_page=True)
        context.close()
        self.assertTrue(User.objects.filter(email=staff, is_staff=True).exists())

    def assert_accessible(self, page: Page, what: str) -> None:
        violations = axe_serious(page)
        self.assertEqual(violations, [], f"axe: serious or critical on {what}")
