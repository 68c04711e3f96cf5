"""The Mood page: the listener's moods day by day, beside what they played those days.

Read-only and scoped to the asking listener. A day is a calendar day in the site's timezone. A
reading the listener corrected counts as corrected: ``chat.services.mood_correct`` rewrites the
reading's label, valence and arousal in place (keeping what perception read in
``perceived_label``), so the stored values are already the listener's word.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from django.contrib.auth.decorators import login_required
from django.db.models import Count, Max, OuterRef, Q, Subquery, Sum
from django.db.models.functions import TruncDate
from django.http import HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET

from accounts.http import AuthenticatedRequest
from accounts.models import User
from catalog.models import TrackArtist
from mood.labels import LABELS, mood_display
from spotify.models import Play

from .models import MoodReading

# The ranges the page offers, in days, and how each is named on it.
RANGES: dict[int, str] = {14: "14 days", 30: "30 days", 90: "90 days", 365: "1 year"}
DEFAULT_DAYS = 30
TOP_ARTISTS = 3


@dataclass
class MoodDay:
    """One calendar day: the mood read from the listener's messages and what they played."""

    day: date
    messages: int = 0
    corrected: int = 0
    valence: float | None = None  # mean over the day's readings, in [-1, 1]
    arousal: float | None = None
    label: str = ""  # the day's dominant mood; "" when nothing was read
    plays: int = 0
    artists: list[str] = field(default_factory=list)  # the day's most played, most first

    @property
    def shown(self) -> str:
        """The dominant mood in the listener's words ("anxious / stressed", not "fear")."""
        return mood_display(self.label) if self.label else ""

    @property
    def has_data(self) -> bool:
        return bool(self.messages or self.plays)

    def as_chart_point(self) -> dict:
        return {
            "date": self.day.isoformat(),
            "name": f"{self.day.day} {self.day:%b}",
            "valence": self.valence,
            "arousal": self.arousal,
            "label": self.label,
            "shown": self.shown,
            "messages": self.messages,
            "plays": self.plays,
            "artists": self.artists,
        }


def mood_days(*, user: User, days: int, today: date | None = None) -> list[MoodDay]:
    """Every day of the last ``days`` (today included), oldest first, in two queries whatever the range."""
    today = today or timezone.localdate()
    first = today - timedelta(days=days - 1)
    by_day = {first + timedelta(days=n): MoodDay(day=first + timedelta(days=n)) for n in range(days)}
    since = timezone.make_aware(datetime.combine(first, time.min))
    _add_moods(by_day, user=user, since=since)
    _add_plays(by_day, user=user, since=since)
    return list(by_day.values())


def _add_moods(by_day: dict[date, MoodDay], *, user: User, since: datetime) -> None:
    """Per day and label: how many readings, their summed valence/arousal, corrections, the latest.

    The dominant label is the one read most often; a tie goes to a mood over neutral (everyday chat
    reads mostly neutral), then to the one the listener said latest.
    """
    rows = (
        MoodReading.objects.filter(message__conversation__user=user, message__created_at__gte=since)
        .annotate(day=TruncDate("message__created_at"))
        .values("day", "label")
        .annotate(
            n=Count("id"),
            valence_sum=Sum("valence"),
            arousal_sum=Sum("arousal"),
            corrected=Count("id", filter=Q(corrected_at__isnull=False)),
            latest=Max("message__created_at"),
        )
        .order_by()
    )
    groups: dict[date, list[dict]] = defaultdict(list)
    for row in rows:
        if row["day"] in by_day:
            groups[row["day"]].append(row)
    for day, labels in groups.items():
        entry = by_day[day]
        entry.messages = sum(row["n"] for row in labels)
        entry.corrected = sum(row["corrected"] for row in labels)
        entry.valence = round(sum(row["valence_sum"] for row in labels) / entry.messages, 2)
        entry.arousal = round(sum(row["arousal_sum"] for row in labels) / entry.messages, 2)
        entry.label = max(labels, key=_dominance)["label"]


def _dominance(row: dict) -> tuple:
    return (row["n"], row["label"] != "neutral", row["latest"])


def _add_plays(by_day: dict[date, MoodDay], *, user: User, since: datetime) -> None:
    """Per day and lead artist (a track's first credit), how many plays; a play counts once."""
    lead = (
        TrackArtist.objects.filter(track=OuterRef("track_id"))
        .order_by("position", "id")
        .values("artist__name")
    )
    rows = (
        Play.objects.filter(user=user, played_at__gte=since)
        .annotate(day=TruncDate("played_at"), artist=Subquery(lead[:1]))
        .values("day", "artist")
        .annotate(n=Count("id"))
        .order_by()
    )
    artists: dict[date, list[tuple[int, str]]] = defaultdict(list)
    for row in rows:
        entry = by_day.get(row["day"])
        if entry is None:
            continue
        entry.plays += row["n"]
        if row["artist"]:
            artists[row["day"]].append((row["n"], row["artist"]))
    for day, counted in artists.items():
        counted.sort(key=lambda pair: (-pair[0], pair[1].casefold()))
        by_day[day].artists = [name for _, name in counted[:TOP_ARTISTS]]


def days_chosen(raw: str | None) -> int:
    """The range asked for in the query string; anything else is the default."""
    try:
        days = int(raw or "")
    except ValueError:
        return DEFAULT_DAYS
    return days if days in RANGES else DEFAULT_DAYS


@login_required
@require_GET
def mood(request: AuthenticatedRequest) -> HttpResponse:
    days = days_chosen(request.GET.get("days"))
    timeline = mood_days(user=request.user, days=days)
    shown = [day for day in timeline if day.has_data]
    present = {day.label for day in shown if day.label}
    page = reverse("chat:mood")
    context = {
        "days": days,
        "range_name": RANGES[days],
        "ranges": [{"days": n, "name": name, "url": f"{page}?days={n}"} for n, name in RANGES.items()],
        "table": shown,
        "moods": [{"label": label, "shown": mood_display(label)} for label in LABELS if label in present],
        "chart": {"days": [day.as_chart_point() for day in timeline]},
        "totals": {
            "messages": sum(day.messages for day in timeline),
            "mood_days": sum(1 for day in timeline if day.messages),
            "plays": sum(day.plays for day in timeline),
        },
    }
    return render(request, "chat/mood.html", context)
