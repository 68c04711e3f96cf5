"""Recommend tracks for a listener from a sentence, as the chat agent would."""

from __future__ import annotations

import json
from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser

from mood.perception import mood_from_text
from recommender.services import recommend_for_mood
from recommender.types import RecommendedTrack


class Command(BaseCommand):
    help = "Read a mood from --text and recommend tracks the listener does not know yet."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--user", required=True, help="the listener's email")
        parser.add_argument("--text", required=True, help="what the listener says")
        parser.add_argument("-n", "--count", type=int, default=8)
        parser.add_argument("--json", action="store_true", help='print {"mood": ..., "tracks": [...]}')

    def handle(self, *args: Any, **options: Any) -> None:
        email = options["user"].strip().lower()
        try:
            user = get_user_model().objects.get(email=email)
        except get_user_model().DoesNotExist as exc:
            raise CommandError(f"No user with email {email!r}.") from exc
        if options["count"] < 1:
            raise CommandError("-n must be at least 1.")
        mood = mood_from_text(options["text"])
        tracks = recommend_for_mood(user=user, mood=mood, text=options["text"], count=options["count"])
        if options["json"]:
            payload = {"mood": mood.as_dict(), "tracks": [track.as_dict() for track in tracks]}
            self.stdout.write(json.dumps(payload, ensure_ascii=False, indent=2))
            return
        self.stdout.write(
            f"Mood: {mood.label} (valence {mood.valence:+.2f}, arousal {mood.arousal:+.2f}, "
            f"confidence {mood.confidence:.2f})"
        )
        if not tracks:
            self.stdout.write("No tracks yet: load a catalog and embed its profiles first.")
            return
        self.stdout.write(_table(tracks))


def _table(tracks: list[RecommendedTrack]) -> str:
    rows = [("#", "Track", "Artists", "Genre", "Mood", "Val", "Energy", "Why")]
    for number, track in enumerate(tracks, start=1):
        rows.append(
            (
                str(number),
                _cut(track.name, 32),
                _cut(", ".join(track.artists), 24),
                _cut(track.genre, 14),
                f"{track.mood} {track.mood_confidence:.0%}" if track.mood_confidence is not None else "-",
                "-" if track.valence is None else f"{track.valence:.2f}",
                "-" if track.energy is None else f"{track.energy:.2f}",
                track.reason,
            )
        )
    widths = [max(len(row[column]) for row in rows) for column in range(len(rows[0]) - 1)]
    # The reason is last and unpadded, so long reasons do not widen every row.
    return "\n".join(
        "  ".join(cell.ljust(width) for cell, width in zip(row[:-1], widths, strict=True)) + "  " + row[-1]
        for row in rows
    )


def _cut(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"
