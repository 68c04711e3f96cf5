"""Which of the listener's playlists a name means: "Gym" → "gym rotation", "the rain one" → "rain on
the window".

Pure text matching over the listener's own playlist names. A name matches at one of these
strengths, and only the strongest level present counts:

1. the same name once case, quotes, punctuation and filler ("my", "the", "playlist", "one") go;
2. every word said is a word of the name ("gym" → "gym rotation");
3. every word said is a word of the name up to a small typo or a prefix ("rainy sundy", "rain" →
   "rainy sunday"), or the whole name is a near-spelling (ratio ≥ 0.8).

One playlist at the strongest level is the answer; several are *ambiguous* and the agent asks,
listing them; none is *no match* and the agent asks, listing the closest. Nothing here falls back
to "the playlist made last".
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Generic, TypeVar

FILLER = {"my", "the", "a", "an", "playlist", "playlists", "list", "one", "called", "named", "of", "mine"}
NEAR_SPELLING = 0.8
ASK_LISTS = 5  # candidates named in a question

P = TypeVar("P")


@dataclass
class PlaylistChoice(Generic[P]):
    """``found`` when exactly one playlist is meant; otherwise ``candidates`` to ask about."""

    found: P | None = None
    candidates: list[P] = field(default_factory=list)
    ambiguous: bool = False


def words(name: str) -> list[str]:
    """Lower-case words of a name, without quotes, punctuation or filler."""
    cleaned = re.sub(r"[\"“”‘’'`.,!?:;()\[\]]", " ", name.lower())
    return [word for word in re.split(r"[\s_\-/&+]+", cleaned) if word and word not in FILLER]


def _close(said: str, word: str) -> bool:
    if word.startswith(said) and len(said) >= 3:
        return True
    if len(said) < 4 or abs(len(said) - len(word)) > 1:
        return False
    return difflib.SequenceMatcher(None, said, word).ratio() >= 0.75


def match_strength(said: str, name: str) -> int:
    """3 same name, 2 all words exact, 1 all words close or a near spelling, 0 no match."""
    said_words, name_words = words(said), words(name)
    if not said_words or not name_words:
        return 0
    if said_words == name_words:
        return 3
    if all(word in name_words for word in said_words):
        return 2
    if all(any(_close(word, other) for other in name_words) for word in said_words):
        return 1
    ratio = difflib.SequenceMatcher(None, " ".join(said_words), " ".join(name_words)).ratio()
    return 1 if ratio >= NEAR_SPELLING else 0


def choose_playlist(said: str, playlists: Sequence[P], name_of=lambda p: p.name) -> PlaylistChoice[P]:
    """The playlist ``said`` names among ``playlists`` (newest first), or what to ask about."""
    scored = [(match_strength(said, name_of(p)), p) for p in playlists]
    best = max((strength for strength, _ in scored), default=0)
    if best:
        top = [p for strength, p in scored if strength == best]
        if len(top) == 1:
            return PlaylistChoice(found=top[0])
        return PlaylistChoice(candidates=top[:ASK_LISTS], ambiguous=True)
    closest = sorted(
        playlists,
        key=lambda p: (
            -difflib.SequenceMatcher(None, " ".join(words(said)), " ".join(words(name_of(p)))).ratio()
        ),
    )
    return PlaylistChoice(candidates=list(closest[:ASK_LISTS]))


def which_question(said: str | None, choice: PlaylistChoice, name_of=lambda p: p.name) -> str:
    """The question to ask when ``choice`` found no single playlist."""
    names = [f"“{name_of(p)}”" for p in choice.candidates]
    listed = ", ".join(names[:-1]) + f" or {names[-1]}" if len(names) > 1 else "".join(names)
    if choice.ambiguous:
        return f"Which playlist do you mean: {listed}?"
    if not said:
        return f"Which playlist should I use — {listed}?" if names else "Which playlist do you mean?"
    if names:
        return f"I can't find a playlist of yours called “{said}”. Did you mean {listed}?"
    return f"I can't find a playlist of yours called “{said}”, and you have none yet — want me to make it?"
