"""The Mood page in a browser, at a desktop width and a phone width.

A listener with a few days of moods (one corrected) and plays opens /mood/: Chart.js, served from our
own static files, draws on the canvas under the site's Content-Security-Policy; the table lists the
same days; axe finds nothing serious; a phone does not scroll sideways.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta

import pytest
from channels.testing import ChannelsLiveServerTestCase
from django.utils import timezone
from playwright.sync_api import Page, expect, sync_playwright

from chat.models import Conversation, Message, MoodReading
from chat.services import mood_correct
from mood.labels import LABEL_COORDINATES
from tests.browser.axe import axe_serious
from tests.browser.test_journey import ARTIFACTS, CHROMIUM_ARGS
from tests.browser.test_listening import DESKTOP, PHONE, page_fits
from tests.factories import ArtistFactory, PlayFactory, TrackFactory, UserFactory

PASSWORD = "a long enough pass 42"
# (days ago, moods read that day, lead artists played that day)
DAYS: tuple[tuple[int, list[str], list[str]], ...] = (
    (6, ["sadness", "sadness", "neutral"], ["Rain Choir", "Rain Choir"]),
    (4, ["fear", "fear"], []),
    (2, ["joy", "neutral"], ["Sun Hotel", "Rain Choir", "Sun Hotel"]),
    (1, [], ["Night Drive"]),
    (0, ["joy", "joy", "surprise"], ["Sun Hotel"]),
)


@pytest.mark.browser
class MoodPageTests(ChannelsLiveServerTestCase):
    serve_static = True

    @classmethod
    def setUpClass(cls) -> None:
        super().setUpClass()
        cls.playwright = sync_playwright().start()
        cls.browser = cls.playwright.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)

    @classmethod
    def tearDownClass(cls) -> None:
        cls.browser.close()
        cls.playwright.stop()
        super().tearDownClass()

    def setUp(self) -> None:
        self.email = "moody@example.com"
        listener = UserFactory.create(email=self.email, password=PASSWORD)
        conversation = Conversation.objects.create(user=listener)
        artists: dict[str, object] = {}
        today = timezone.localdate()
        for ago, moods, played in DAYS:
            day = today - timedelta(days=ago)
            for n, label in enumerate(moods):
                when = timezone.make_aware(datetime(day.year, day.month, day.day, 9 + n))
                message = Message.objects.create(conversation=conversation, role="user", text=label)
                valence, arousal = LABEL_COORDINATES[label]
                MoodReading.objects.create(
                    message=message, label=label, valence=valence, arousal=arousal, confidence=0.6
                )
                Message.objects.filter(pk=message.pk).update(created_at=when)
            for n, name in enumerate(played):
                artist = artists.setdefault(name, ArtistFactory.create(name=name))
                when = timezone.make_aware(datetime(day.year, day.month, day.day, 18, n))
                PlayFactory.create(user=listener, played_at=when, track=TrackFactory.create(artists=[artist]))
        # The listener said the neutral reading six days ago was wrong: it was fear.
        neutral = MoodReading.objects.filter(message__conversation=conversation, label="neutral").first()
        assert neutral is not None
        mood_correct(user=listener, message_id=neutral.message_id, label="fear")
        ARTIFACTS.mkdir(exist_ok=True)

    def test_at_desktop_width(self) -> None:
        self.look(DESKTOP, "desktop")

    def test_at_phone_width(self) -> None:
        self.look(PHONE, "phone")

    def look(self, viewport: dict, name: str) -> None:
        context = self.browser.new_context(viewport=viewport)
        page = context.new_page()
        problems: list[str] = []
        page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda error: problems.append(str(error)))
        self.log_in(page)

        page.goto(self.live_server_url + "/mood/")
        expect(page.get_by_role("link", name="Mood", exact=True)).to_have_attribute("aria-current", "page")
        rows = page.locator("#mood-table tbody tr")
        expect(rows).to_have_count(len(DAYS))
        expect(rows.first).to_contain_text("down / sad")  # two sad, one neutral corrected to fear
        expect(rows.first).to_contain_text("1 corrected")
        expect(rows.last).to_contain_text("happy / upbeat")
        expect(rows.last).to_contain_text("Sun Hotel")
        expect(rows.nth(3)).to_contain_text("no messages")

        canvas = page.locator("#mood-chart")
        expect(canvas).to_be_visible()
        page.wait_for_function("() => window.Chart && Chart.getChart(document.getElementById('mood-chart'))")
        page.wait_for_timeout(600)  # the lines' short animation
        box = canvas.bounding_box()
        assert box is not None
        self.assertGreater(box["width"], 200)
        self.assertGreater(box["height"], 200)
        self.assertLessEqual(box["width"], viewport["width"])
        self.assertGreater(self.painted_pixels(page), 2_000)
        drawn = "() => Chart.getChart(document.getElementById('mood-chart')).data.datasets.map(d => d.label)"
        self.assertEqual(page.evaluate(drawn), ["Valence", "Energy", "Plays"])

        self.assertEqual(page_fits(page)[0], 0, "the page scrolls sideways")
        self.assertEqual(axe_serious(page), [], "axe: serious or critical on the Mood page")
        page.screenshot(path=str(ARTIFACTS / f"mood-{name}.png"), full_page=True)
        # Chart.js and the page's script ran under the Content-Security-Policy with nothing refused.
        self.assertEqual(problems, [])
        context.close()

    def log_in(self, page: Page) -> None:
        page.goto(self.live_server_url + "/accounts/login/")
        page.fill("input[name=login]", self.email)
        page.fill("input[name=password]", PASSWORD)
        page.get_by_role("button", name="Sign In").click()
        expect(page).to_have_url(re.compile(r"/chat/$"), timeout=15_000)

    def painted_pixels(self, page: Page) -> int:
        """How many of the canvas's pixels Chart.js painted (not transparent)."""
        return page.evaluate(
            """() => {
                const canvas = document.getElementById('mood-chart');
                const pixels = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
                let painted = 0;
                for (let i = 3; i < pixels.length; i += 4) if (pixels[i] > 0) painted += 1;
                return painted;
            }"""
        )
