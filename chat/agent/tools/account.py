"""Requests about the listener's account (disconnect Spotify, export, delete, mood history), answered
with what the product offers. Read-only: nothing here writes anywhere, least of all to Spotify."""

from __future__ import annotations

import re
from collections import Counter
from datetime import timedelta

from django.urls import reverse
from django.utils import timezone
from pydantic import Field

from chat.models import MoodReading
from mood.labels import mood_display
from spotify.models import SpotifyLink

from .arguments import Text, ToolArguments
from .state import ToolResult, TurnState

MOOD_HISTORY_DAYS = 14
_TOPICS = (
    (
        "disconnect",
        re.compile(r"\b(disconnect|unlink|detach|log ?out|sign out|revoke|remove)\b.*\bspotify\b", re.I),
    ),
    ("export", re.compile(r"\b(export|download|copy|take out)\b", re.I)),
    ("delete", re.compile(r"\b(delete|close|deactivate|cancel|erase|wipe|remove)\b", re.I)),
    ("moods", re.compile(r"\bmoods?\b|\bfeeling\b", re.I)),
)


class AccountHelpArgs(ToolArguments):
    """Answer a request about the listener's account: disconnecting Spotify, exporting or deleting
    their data, or how their mood has been lately. Changes nothing."""

    request: Text = Field(description="The listener's request, as they said it.")


def account_help(state: TurnState, args: AccountHelpArgs) -> ToolResult:
    topic = next((name for name, pattern in _TOPICS if pattern.search(args.request)), "moods")
    if topic == "disconnect":
        return ToolResult(True, _disconnect(state), {"topic": topic})
    if topic == "export":
        return ToolResult(
            True,
            f"You can download everything we hold about you as one JSON file on Your data "
            f"({reverse('your_data')}): profile, messages, moods, tastes, votes, the lists I picked and "
            "your listening history. Your playlists themselves live on your Spotify.",
            {"topic": topic},
        )
    if topic == "delete":
        return ToolResult(
            True,
            "I won't delete your account from the chat — deleting is permanent, so it asks you to confirm "
            f"on its own page: {reverse('account_delete')}. You can download your data first on Your data "
            f"({reverse('your_data')}). Nothing has been changed.",
            {"topic": topic},
        )
    return ToolResult(True, mood_history(state), {"topic": "moods"})


def _disconnect(state: TurnState) -> str:
    if not SpotifyLink.objects.filter(user=state.user).exists():
        return "Your Spotify isn't connected here, so there's nothing to disconnect."
    library = reverse("spotify:library")
    return (
        "I won't change your connection from the chat. To disconnect Spotify, open your Library "
        f"({library}) and use “Disconnect Spotify” there: it deletes the account's tokens and what it "
        "synced; anything you imported stays."
    )


def mood_history(state: TurnState) -> str:
    """The listener's moods over the last two weeks, from what they wrote (and corrected), and where the
    Mood page shows them day by day (its path, as the reply is plain text)."""
    since = timezone.now() - timedelta(days=MOOD_HISTORY_DAYS)
    readings = list(
        MoodReading.objects.filter(message__conversation__user=state.user, created_at__gte=since).values_list(
            "label", "valence"
        )
    )
    if not readings:
        return (
            "I haven't read any moods from you in the last two weeks yet — tell me how you feel any time. "
            f"{_mood_page_pointer()}"
        )
    counts = Counter(label for label, _ in readings if label != "neutral")
    valence = sum(v for _, v in readings) / len(readings)
    tone = "on the bright side" if valence > 0.15 else "on the low side" if valence < -0.15 else "fairly even"
    if not counts:
        return (
            f"Over the last two weeks your messages read as mostly neutral ({len(readings)} messages). "
            f"{_mood_page_pointer()}"
        )
    top = ", ".join(f"{mood_display(label)} ({n})" for label, n in counts.most_common(3))
    return (
        f"Over the last two weeks ({len(readings)} messages) you've mostly sounded {top}; overall {tone}. "
        f"{_mood_page_pointer()}"
    )


def _mood_page_pointer() -> str:
    return f"Your Mood page ({reverse('chat:mood')}) shows your moods day by day, beside what you played."
