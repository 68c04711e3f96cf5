"""The Mood page: a listener's moods per day (corrections counted as corrected) beside their plays.

Alice owns the days; Charlie's readings and plays must never show on her page.
"""

from __future__ import annotations

import hashlib
import json
import re
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from django.test import override_settings
from django.urls import reverse
from django.utils import timezone

from chat.agent.tools.account import AccountHelpArgs, account_help, mood_history
from chat.agent.tools.state import TurnState
from chat.models import Conversation, Message, MoodReading
from chat.mood_page import DEFAULT_DAYS, mood_days
from chat.services import mood_correct
from mood.labels import LABEL_COORDINATES
from mood.perception import EmotionEstimate
from tests.factories import ArtistFactory, PlayFactory, TrackFactory

pytestmark = pytest.mark.django_db

VENDOR = Path(__file__).resolve().parents[2] / "static" / "vendor" / "chartjs"


def said(user, when: datetime, label: str, text: str = "a message") -> MoodReading:
    """A listener message written at ``when`` whose mood was read as ``label``."""
    conversation, _ = Conversation.objects.get_or_create(user=user)
    message = Message.objects.create(conversation=conversation, role=Message.Role.USER, text=text)
    valence, arousal = LABEL_COORDINATES[label]
    reading = MoodReading.objects.create(
        message=message, label=label, valence=valence, arousal=arousal, confidence=0.7
    )
    Message.objects.filter(pk=message.pk).update(created_at=when)
    MoodReading.objects.filter(pk=reading.pk).update(created_at=when)
    return reading


def played(user, when: datetime, *artists):
    return PlayFactory.create(user=user, played_at=when, track=TrackFactory.create(artists=list(artists)))


def at(day: date, hour: int = 12) -> datetime:
    return timezone.make_aware(datetime(day.year, day.month, day.day, hour))


def day_of(timeline, day: date):
    return next(entry for entry in timeline if entry.day == day)


def chart_data(page: str) -> dict:
    return json.loads(page.split('<script id="mood-data" type="application/json">')[1].split("</script>")[0])


# --- the days, as the selector reads them --------------------------------------------------------


def test_a_corrected_reading_counts_with_the_label_and_values_the_listener_gave(alice):
    today = timezone.localdate()
    said(alice, at(today, 9), "joy")
    wrong = said(alice, at(today, 10), "joy")
    said(alice, at(today, 11), "sadness")
    mood_correct(user=alice, message_id=wrong.message_id, label="sadness")

    entry = day_of(mood_days(user=alice, days=14), today)

    assert (entry.messages, entry.corrected) == (3, 1)
    assert entry.label == "sadness" and entry.shown == "down / sad"
    assert entry.valence == round((0.8 - 0.7 - 0.7) / 3, 2)
    assert entry.arousal == round((0.5 - 0.4 - 0.4) / 3, 2)


def test_a_tie_goes_to_a_mood_over_neutral_then_to_the_latest(alice):
    today = timezone.localdate()
    said(alice, at(today, 8), "neutral")
    said(alice, at(today, 9), "fear")
    yesterday = today - timedelta(days=1)
    said(alice, at(yesterday, 8), "joy")
    said(alice, at(yesterday, 9), "anger")

    timeline = mood_days(user=alice, days=14)

    assert day_of(timeline, today).shown == "anxious / stressed"
    assert day_of(timeline, yesterday).label == "anger"


def test_plays_count_once_each_and_the_days_top_artists_are_the_lead_artists_most_played(alice):
    today = timezone.localdate()
    vale, ossa, rook, able = (ArtistFactory.create(name=name) for name in ("Vale", "Ossa", "Rook", "Able"))
    for hour in range(3):
        played(alice, at(today, 8 + hour), vale, ossa)  # Vale leads; Ossa is featured
    for hour in range(2):
        played(alice, at(today, 12 + hour), ossa)
    played(alice, at(today, 15), rook)
    played(alice, at(today, 16), able)
    played(alice, at(today - timedelta(days=1)), rook)

    timeline = mood_days(user=alice, days=14)

    assert day_of(timeline, today).plays == 7
    assert day_of(timeline, today).artists == ["Vale", "Ossa", "Able"]  # Able before Rook on a tie: by name
    assert day_of(timeline, today - timedelta(days=1)).artists == ["Rook"]


@override_settings(TIME_ZONE="America/New_York")
def test_a_day_is_a_calendar_day_in_the_sites_timezone(alice):
    late_evening = datetime(2026, 3, 10, 3, 0, tzinfo=UTC)  # 23:00 on 9 March in New York
    said(alice, late_evening, "joy")
    played(alice, late_evening, ArtistFactory.create(name="Night Owls"))

    timeline = mood_days(user=alice, days=14, today=date(2026, 3, 10))

    assert (day_of(timeline, date(2026, 3, 9)).messages, day_of(timeline, date(2026, 3, 9)).plays) == (1, 1)
    assert (day_of(timeline, date(2026, 3, 10)).messages, day_of(timeline, date(2026, 3, 10)).plays) == (0, 0)


def test_every_day_of_the_range_is_there_oldest_first_and_nothing_older(alice):
    today = timezone.localdate()
    said(alice, at(today - timedelta(days=14)), "joy")  # one day before a 14-day range
    said(alice, at(today - timedelta(days=13)), "sadness")

    timeline = mood_days(user=alice, days=14)

    assert [entry.day for entry in timeline] == [today - timedelta(days=13 - n) for n in range(14)]
    assert sum(entry.messages for entry in timeline) == 1 and timeline[0].label == "sadness"


def test_the_reads_take_two_queries_however_many_days_have_data(alice, django_assert_max_num_queries):
    today = timezone.localdate()
    for n in range(40):
        said(alice, at(today - timedelta(days=n * 9)), "joy" if n % 2 else "sadness")
        played(alice, at(today - timedelta(days=n * 9)), ArtistFactory.create())

    with django_assert_max_num_queries(2):
        timeline = mood_days(user=alice, days=365)

    assert sum(1 for entry in timeline if entry.messages and entry.plays) == 40


def test_the_page_takes_as_many_queries_for_forty_days_as_for_one(
    client, alice, django_assert_max_num_queries
):
    client.force_login(alice)
    today = timezone.localdate()
    said(alice, at(today), "joy")
    with django_assert_max_num_queries(10) as one_day:
        client.get(reverse("chat:mood"), {"days": 90})
    for n in range(1, 40):
        said(alice, at(today - timedelta(days=n)), "fear")
        played(alice, at(today - timedelta(days=n)), ArtistFactory.create())

    with django_assert_max_num_queries(len(one_day.captured_queries)):
        page = client.get(reverse("chat:mood"), {"days": 90}).content.decode()

    assert page.count('<th scope="row">') == 40


# --- the page ----------------------------------------------------------------------------------


def test_it_sends_anonymous_visitors_to_log_in(client, db):
    response = client.get(reverse("chat:mood"))
    assert response.status_code == 302
    assert reverse("account_login") in response["Location"]


def test_the_page_shows_each_day_as_a_table_row_and_as_chart_data(client, alice):
    client.force_login(alice)
    today = timezone.localdate()
    said(alice, at(today - timedelta(days=2)), "fear")
    played(alice, at(today - timedelta(days=2)), ArtistFactory.create(name="Quiet Harbour"))
    played(alice, at(today), ArtistFactory.create(name="Morning Glass"))

    page = client.get(reverse("chat:mood")).content.decode()

    rows = re.findall(r"<tr>\s*<th scope=\"row\">(.*?)</tr>", page, re.S)
    assert len(rows) == 2
    assert "anxious / stressed" in rows[0] and "Quiet Harbour" in rows[0] and "-0.70" in rows[0]
    assert "no messages" in rows[1] and "Morning Glass" in rows[1]
    assert "<caption>" in page and 'id="mood-chart"' in page and "vendor/chartjs/chart.umd.min.js" in page
    data = chart_data(page)
    assert len(data["days"]) == DEFAULT_DAYS
    assert data["days"][-3] | {"name": None} == {
        "date": (today - timedelta(days=2)).isoformat(),
        "name": None,
        "valence": -0.7,
        "arousal": 0.6,
        "label": "fear",
        "shown": "anxious / stressed",
        "messages": 1,
        "plays": 1,
        "artists": ["Quiet Harbour"],
    }


def test_another_listeners_readings_and_plays_never_appear(client, alice, charlie):
    client.force_login(alice)
    today = timezone.localdate()
    said(alice, at(today), "joy")
    said(charlie, at(today), "anger", text="charlie's secret")
    said(charlie, at(today - timedelta(days=1)), "anger")
    played(charlie, at(today), ArtistFactory.create(name="Charlie Only Band"))

    page = client.get(reverse("chat:mood")).content.decode()
    timeline = mood_days(user=alice, days=14)

    assert "Charlie Only Band" not in page and "angry" not in page and "charlie" not in page
    assert [(entry.day, entry.messages, entry.plays) for entry in timeline if entry.has_data] == [
        (today, 1, 0)
    ]
    assert sum(day["messages"] for day in chart_data(page)["days"]) == 1


def test_with_nothing_to_show_the_page_says_so_and_leads_to_the_chat(client, alice, charlie):
    client.force_login(alice)
    said(charlie, at(timezone.localdate()), "joy")
    said(alice, at(timezone.localdate() - timedelta(days=30)), "joy")  # outside 14 days

    page = client.get(reverse("chat:mood"), {"days": 14}).content.decode()

    assert 'id="mood-empty"' in page and "no moods or plays from the last 14 days" in page
    assert f'href="{reverse("chat:chat")}"' in page.split('id="mood-empty"')[1]
    assert "mood-chart" not in page and "chart.umd.min.js" not in page and "<table" not in page


def test_the_range_links_choose_the_days_and_nonsense_falls_back_to_the_default(client, alice):
    client.force_login(alice)
    said(alice, at(timezone.localdate() - timedelta(days=20)), "joy")

    assert 'id="mood-empty"' in client.get(reverse("chat:mood"), {"days": 14}).content.decode()
    year = client.get(reverse("chat:mood"), {"days": 365}).content.decode()
    assert len(chart_data(year)["days"]) == 365
    assert '<a href="/mood/?days=365" aria-current="page">1 year</a>' in year
    fallback = client.get(reverse("chat:mood"), {"days": "9999"}).content.decode()
    assert len(chart_data(fallback)["days"]) == DEFAULT_DAYS and "happy / upbeat" in fallback


def test_the_main_nav_links_the_mood_page_and_marks_it_current(client, alice):
    client.force_login(alice)
    mood = reverse("chat:mood")
    assert f'<a href="{mood}" aria-current="page">Mood</a>' in client.get(mood).content.decode()
    chat_page = client.get(reverse("chat:chat")).content.decode()
    assert f'<a href="{mood}">Mood</a>' in chat_page
    assert chat_page.index(">Library<") < chat_page.index(">Mood<") < chat_page.index(">Preferences<")


def test_the_vendored_chart_library_is_the_one_its_readme_names():
    readme = (VENDOR / "README.md").read_text(encoding="utf-8")
    digest = hashlib.sha256((VENDOR / "chart.umd.min.js").read_bytes()).hexdigest()
    assert f"`{digest}`" in readme and "Chart.js 4.6.1" in readme
    assert (VENDOR / "LICENSE.md").read_text(encoding="utf-8").startswith("The MIT License")


# --- the agent ---------------------------------------------------------------------------------


def turn_for(user, text: str) -> TurnState:
    conversation, _ = Conversation.objects.get_or_create(user=user)
    return TurnState(
        user=user, conversation=conversation, text=text, mood=EmotionEstimate("neutral", 0.0, 0.0, 0.5)
    )


def test_asked_how_they_have_been_feeling_the_agent_points_to_the_mood_page(alice):
    said(alice, timezone.now() - timedelta(days=1), "fear")
    said(alice, timezone.now(), "fear")

    result = account_help(
        turn_for(alice, "how have I been feeling?"), AccountHelpArgs(request="how have I been feeling?")
    )

    assert "anxious / stressed (2)" in result.summary
    assert f"Your Mood page ({reverse('chat:mood')})" in result.summary


def test_with_no_moods_yet_the_agent_still_points_to_the_mood_page(alice):
    reply = mood_history(turn_for(alice, "how have I been feeling?"))
    assert reply.startswith("I haven't read any moods from you") and "/mood/" in reply
