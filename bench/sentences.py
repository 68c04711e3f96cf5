"""What bench listeners say: varied, seeded lines, so consecutive turns are never one cached answer.

A listener asks for music by mood, activity, artist or genre, follows a list up ("more like the
second one", "something calmer"), makes small talk and asks about its listening. Every line is
composed from parts, so two listeners (or one listener twice) rarely send the same text; the same
seed gives the same lines. Lines stay clear of the agent's writes (playlists, Spotify playback).

Pure: no Django, no database. The caller passes artist names from the catalog.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass

RECOMMEND = "recommend"
FOLLOW_UP = "follow-up"
SMALL_TALK = "small talk"
QUESTION = "question"
KINDS = (RECOMMEND, FOLLOW_UP, SMALL_TALK, QUESTION)
# Kinds that ask for a list of tracks: the floor's "recommendation turns" (the app's are the turns
# that did get a ``tracks`` event).
ASKS_FOR_MUSIC = frozenset({RECOMMEND, FOLLOW_UP})

FEELINGS = (
    "I'm stressed",
    "I feel a bit down today",
    "I'm so happy, we won!",
    "long day at work",
    "I'm nervous about tomorrow",
    "feeling lonely tonight",
    "I'm in a great mood",
    "I can't focus",
    "I'm exhausted",
    "just got good news",
    "it's raining and I'm bored",
    "I miss my friends",
)
MOODS = (
    "calm",
    "upbeat",
    "mellow",
    "energetic",
    "relaxing",
    "happy",
    "melancholic",
    "dreamy",
    "chill",
    "uplifting",
    "moody",
    "cheerful",
)
ACTIVITIES = (
    "cooking",
    "the gym",
    "studying",
    "a road trip",
    "a rainy evening",
    "running",
    "cleaning the flat",
    "reading",
    "a dinner party",
    "falling asleep",
    "working late",
    "a sunny morning",
)
GENRES = ("jazz", "indie", "hip hop", "rock", "r&b", "folk", "electronic", "latin", "soul", "pop")
ORDINALS = ("first", "second", "third", "fourth", "last")
COUNTS = (3, 5, 6, 8, 10)
RECOMMEND_TEMPLATES = (
    "{feeling}, play something {mood}",
    "play something {mood} for {activity}",
    "recommend some {genre} for {activity}",
    "something {mood} please, {count} songs",
    "{count} tracks for {activity}",
    "suggest a few songs like {artist}",
    "play me something similar to {artist}",
    "{feeling}. put on some {mood} {genre}",
    "songs for {activity}, something {mood}",
    "recommend something",
    "I want to hear some {genre}",
    "music for {activity} please",
)
FOLLOW_UP_TEMPLATES = (
    "more like the {ordinal} one",
    "play something calmer",
    "something more upbeat please",
    "give me tracks that sound like the {ordinal} one",
    "more songs like that",
    "another {count} please",
    "no more {genre}",
    "less {genre}, more {mood}",
    "similar to number {number}",
)
SMALL_TALK_LINES = (
    "hey",
    "hi there",
    "good morning!",
    "how's your week been?",
    "thanks",
    "thank you so much",
    "cheers, that's great",
    "I just got back from a run",
    "my exam went well today",
    "see you later",
    "how are you?",
)
QUESTION_LINES = (
    "what have I been listening to lately?",
    "what are my top tracks?",
    "who are my top artists?",
    "why did you pick that?",
    "why the {ordinal} one?",
    "what can you do?",
)
# How often each kind comes up; a follow-up only right after a request for music.
WEIGHTS = {RECOMMEND: 0.45, FOLLOW_UP: 0.25, SMALL_TALK: 0.18, QUESTION: 0.12}
FALLBACK_ARTISTS = ("Adele", "Coldplay", "Daft Punk", "Norah Jones")


@dataclass(frozen=True)
class Line:
    text: str
    kind: str

    @property
    def asks_for_music(self) -> bool:
        return self.kind in ASKS_FOR_MUSIC


class ListenerSentences:
    """One listener's endless, seeded stream of lines; ``next_line()`` gives the next one."""

    def __init__(self, seed: int, artists: Sequence[str] = (), *, only_music: bool = False) -> None:
        self.rng = random.Random(seed)
        self.artists = tuple(artists) or FALLBACK_ARTISTS
        self.kinds = tuple(kind for kind in KINDS if kind in ASKS_FOR_MUSIC) if only_music else KINDS
        self.after_music = False

    def next_line(self) -> Line:
        kinds = [kind for kind in self.kinds if kind != FOLLOW_UP or self.after_music]
        kind = self.rng.choices(kinds, weights=[WEIGHTS[kind] for kind in kinds])[0]
        templates = {
            RECOMMEND: RECOMMEND_TEMPLATES,
            FOLLOW_UP: FOLLOW_UP_TEMPLATES,
            SMALL_TALK: SMALL_TALK_LINES,
            QUESTION: QUESTION_LINES,
        }[kind]
        self.after_music = kind in ASKS_FOR_MUSIC
        return Line(self._fill(self.rng.choice(templates)), kind)

    def lines(self, count: int) -> list[Line]:
        return [self.next_line() for _ in range(count)]

    def _fill(self, template: str) -> str:
        pick = self.rng.choice
        return template.format(
            feeling=pick(FEELINGS),
            mood=pick(MOODS),
            activity=pick(ACTIVITIES),
            genre=pick(GENRES),
            artist=pick(self.artists),
            ordinal=pick(ORDINALS),
            count=pick(COUNTS),
            number=self.rng.randint(1, 5),
        )


class ScriptedSentences:
    """A fixed script played in order, round and round: the bench's old, cache-friendly load."""

    def __init__(self, script: Sequence[Line], start: int = 0) -> None:
        self.script = tuple(script)
        self.position = start

    def next_line(self) -> Line:
        line = self.script[self.position % len(self.script)]
        self.position += 1
        return line

    def lines(self, count: int) -> list[Line]:
        return [self.next_line() for _ in range(count)]
