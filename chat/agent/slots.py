"""Slot extraction for the offline agent: what a message names, as raw text.

Pure text in, plain values out — no database. Names (artists, track titles) stay raw strings
here; the tools ground them against the catalog or Spotify search, so an LLM and the offline
agent share one path from "a name someone typed" to "a track we actually have".
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from catalog.genres import GENRE_ALIASES
from mood.labels import MOOD_WORDS

from .playlist_names import words

NUMBER_WORDS = {
    "one": 1,
    "two": 2,
    "three": 3,
    "four": 4,
    "five": 5,
    "six": 6,
    "seven": 7,
    "eight": 8,
    "nine": 9,
    "ten": 10,
    "eleven": 11,
    "twelve": 12,
    "fifteen": 15,
    "twenty": 20,
    "a couple of": 2,
    "a couple": 2,
    "a few": 4,
    "a handful of": 5,
}
ORDINALS = {
    "first": 1,
    "1st": 1,
    "second": 2,
    "2nd": 2,
    "third": 3,
    "3rd": 3,
    "fourth": 4,
    "4th": 4,
    "fifth": 5,
    "5th": 5,
    "sixth": 6,
    "6th": 6,
    "seventh": 7,
    "7th": 7,
    "eighth": 8,
    "8th": 8,
    "ninth": 9,
    "9th": 9,
    "tenth": 10,
    "10th": 10,
    "eleventh": 11,
    "11th": 11,
    "twelfth": 12,
    "12th": 12,
    "thirteenth": 13,
    "fourteenth": 14,
    "fifteenth": 15,
    "twentieth": 20,
    "last": -1,
}

# Words that end a name said in passing: "I love Nora Vale by the way", "… Adele though".
_ASIDES = r"by the way|btw|though|too|as well|a lot|so much|lately|these days|right now"
_PLAYLIST_NAME = re.compile(
    r"\b(?:called|named|titled|name it|call it)\s+[\"“'‘]?(?P<name>[^\"”’]+?)[\"”’]?"
    r"(?=\s+(?:with|from|using|and add|containing|please)\b|[.!?,]|$)",
    re.I,
)
_QUOTED = re.compile(r"[\"“](?P<name>[^\"”]{1,100})[\"”]")
_TO_PLAYLIST = re.compile(
    r"\b(?:to|into|from|in|on)\s+(?:my\s+)?(?:playlist\s+)?[\"“']?(?P<name>[A-Z0-9][\w'&\- ]{0,60}?)[\"”']?"
    r"(?:\s+playlist)?(?=[.!?,]|$)"
)
_MY_PLAYLIST = re.compile(
    r"\b(?:to|in|into|on|from)\s+(?:my|the)\s+(?P<name>[\w'&\- ]{1,40}?)\s+playlist\b", re.I
)
_COUNT = re.compile(r"\b(?P<n>\d{1,2})\s+(?:[\w&-]+\s+){0,2}(?:songs?|tracks?|tunes|picks)\b", re.I)
_COUNT_WORDS = re.compile(
    r"\b(?P<w>" + "|".join(sorted(map(re.escape, NUMBER_WORDS), key=len, reverse=True)) + r")\s+"
    r"(?:[\w&-]+\s+){0,2}(?:songs?|tracks?|tunes|picks)\b",
    re.I,
)
_ORDINAL = re.compile(r"\b(?P<o>" + "|".join(ORDINALS) + r")\b(?:\s+(?:one|song|track|pick))?", re.I)
_NUMBERED = re.compile(r"(?:#|\bnumber\s+|\bno\.?\s*|\btrack\s+|\bsong\s+)(?P<n>\d{1,2})\b", re.I)
_VERB_NUMBERS = re.compile(
    r"\b(?:add|remove|delete|drop|take out|save|keep|like|love|hate|skip)\s+"
    r"(?:#|numbers?\s+|tracks?\s+|songs?\s+)?"
    r"(?P<list>\d{1,2}(?:\s*(?:,|and|&)\s*\d{1,2})*)\b(?!\s*(?:songs?|tracks?|min))",
    re.I,
)
_BARE_NUMBERS = re.compile(
    r"\b(?:tracks?|songs?|numbers?)\s+(?P<list>\d{1,2}(?:\s*(?:,|and|&)\s*\d{1,2})+)", re.I
)
_FIRST_N = re.compile(r"\b(?P<end>first|last|top)\s+(?P<n>two|three|four|five|\d)\b", re.I)
_NAMED_PLAYLIST = re.compile(
    r"\b(?:make|create|build|start)\s+(?:me\s+)?an?\s+(?P<name>[\w'&\- ]{2,40}?)\s+playlist\b", re.I
)
_REMOVE_TITLE = re.compile(
    r"\b(?:remove|delete|take out|drop)\s+[\"“]?(?P<title>[^\"”]{2,80}?)[\"”]?\s+(?:from|off)\s+", re.I
)
_DEICTIC = re.compile(r"\b(?:that|this|it)(?:\s+(?:one|song|track))?\b", re.I)
_BY_ARTIST = re.compile(
    r"\bby\s+(?P<artist>[A-Z0-9][\w.&'’\- ]{0,60}?)(?=\s+(?:please|now|again)\b|[.!?,]|$)"
)
_TRACK_BY = re.compile(
    r"[\"“]?(?P<title>[^\"”]{1,80}?)[\"”]?\s+by\s+(?P<artist>[A-Z0-9][\w.&'’\- ]{0,60}?)"
    r"(?=\s+(?:please|now|again|to|into)\b|[.!?,]|$)"
)
_LIKE_ARTIST = re.compile(
    r"\b(?:i\s+(?:really\s+)?(?:love|like|adore|dig|enjoy)|more(?:\s+songs)?(?:\s+(?:from|by))?|"
    r"(?:play|put on|queue|hear|listen to)(?:\s+me)?(?:\s+some)?|"
    r"something like|sounds? like|fan of)\s+(?P<artist>[A-Z][\w.&'’\- ]{0,60}?)"
    r"(?=[.!?,]|\s+(?:and|but|please|" + _ASIDES + r")\b|$)"
)
_NEGATIVE_SUBJECT = re.compile(
    r"\b(?:no more|not? (?:any )?more|stop (?:playing|with)(?: the)?|enough|"
    r"(?:i'?m |i am )?(?:sick|tired) of(?: the)?|(?:i'?m |i am )?done with(?: the)?|"
    r"i (?:really )?(?:hate|dislike|can't stand|cant stand|don't like|dont like|do not like)|"
    r"(?:please )?no|nothing|without|skip (?:the|all)?|avoid|less)\s+(?P<what>[\w&'’\- ]{2,60}?)"
    r"(?=[.!?,]|\s+(?:please|anymore|any more|music|songs|stuff|for now|today|and|but|" + _ASIDES + r")\b|$)",
    re.I,
)
_POSITIVE_SUBJECT = re.compile(
    r"\b(?:i (?:really )?(?:love|like|adore|enjoy|dig)|i'm into|im into|more|i'm a fan of|big fan of)\s+"
    r"(?P<what>[\w&'’\- ]{2,60}?)(?=[.!?,]|\s+(?:please|music|songs|stuff|lately|and|but|"
    + _ASIDES
    + r")\b|$)",
    re.I,
)
_EXPLICIT_OFF = re.compile(
    r"\b(no|without|nothing|avoid|clean)\s+(explicit|swearing|swear words|cursing|profanity|bad words)"
    r"|\b(?:don'?t|do not|never|stop)\s+(?:play(?:ing)?|give me|put on|want)\s+(?:me\s+)?"
    r"(?:anything\s+|any(?:thing)?\s+|something\s+)?(?:explicit|with swearing)"
    r"|clean versions?\b|\bkeep it clean\b"
    r"|\b(?:kid|kids|family)[- ]friendly\b|\bmy kids\b",
    re.I,
)
_SHORT = re.compile(r"\b(short(er)? (songs|tracks)|under (\d) min(ute)?s?)\b", re.I)
_TIME_RANGE_SHORT = re.compile(r"\b(lately|recently|these days|this month|past (few )?weeks?)\b", re.I)
_TIME_RANGE_LONG = re.compile(r"\b(all[- ]time|ever|of all time|years)\b", re.I)
_STOP = {"the", "a", "an", "some", "any", "more", "this", "that", "it", "one", "ones", "them", "these"}


@dataclass
class Slots:
    """What one message names. Positions are 1-based in the last list shown; -1 means the last."""

    positions: list[int] = field(default_factory=list)
    deictic: bool = False  # "that", "this one": refers to something shown, position unsaid
    count: int | None = None
    genres: list[str] = field(default_factory=list)
    moods: list[str] = field(default_factory=list)
    artists: list[str] = field(default_factory=list)
    track: tuple[str, str] | None = None  # (title, artist) named by the listener
    playlist_name: str | None = None
    # For an edit: the playlist said after "to/into/from…" ("to rain on the window"); IN_PLAY for
    # "to it" / "to that playlist" (the one in play in this chat); None when no playlist was said.
    destination: str | None = None
    liked: list[tuple[str, str]] = field(default_factory=list)  # (kind, value) the listener wants more of
    disliked: list[tuple[str, str]] = field(default_factory=list)  # (kind, value) they want no more of
    no_explicit: bool = False
    short_tracks: bool = False
    time_range: str = "medium_term"


IN_PLAY = "\x00in play"
_DESTINATION = re.compile(r"\b(?:to|into|onto|from|off|out of)\s+(?P<name>[^.!?]+)", re.I)
_IN_DESTINATION = re.compile(
    r"\b(?:in|on)\s+(?P<name>there\b|it\b|(?:my|the|that)\s[^.!?]+|[^.!?]+\bplaylist\b[^.!?]*)", re.I
)
_ON_ANY = re.compile(r"\b(?:in|on)\s+(?!repeat\b|shuffle\b|loop\b|now\b)(?P<name>[^.!?]+)", re.I)
_POLITE_TAIL = re.compile(r"(\s+(please|pls|plz|thanks|thank you|too|as well|now|for me))+\s*$", re.I)
_ANAPHORA = {
    "it",
    "that",
    "this",
    "there",
    "same",
    "that one",
    "the same",
    "same one",
    "that list",
    "this list",
}
_EDIT_VERB = re.compile(r"\b(add|put|stick|throw|save|remove|delete|take|drop|get rid of)\b", re.I)


def destination_in(text: str) -> tuple[str | None, int]:
    """(the playlist said after "to/into/from…", where that phrase starts); IN_PLAY for "it".

    The first such phrase after an edit verb counts ("add Hello by Adele to gym rotation");
    "in/on" only with "my/the" or "playlist" ("put track 2 in my workout playlist").
    """
    verb = _EDIT_VERB.search(text)
    if verb is None:
        return None, len(text)
    track = _TRACK_BY.search(text, verb.end())
    start = track.end() if track else verb.end()
    match = _DESTINATION.search(text, start) or _IN_DESTINATION.search(text, start)
    if match is None and verb.group(1).lower() in ("add", "put"):
        match = _ON_ANY.search(text, start)  # "put the first one on deep focus"
    if match is None:
        return None, len(text)
    name = _POLITE_TAIL.sub("", match["name"]).strip(" \"“”'‘’,")
    name = re.sub(r"\s+playlist$", "", re.sub(r"^(?:my|the)\s+", "", name, flags=re.I), flags=re.I).strip()
    said = " ".join(words(name))
    if not said or said in _ANAPHORA:
        return IN_PLAY, match.start()
    return name[:100], match.start()


def extract_slots(text: str) -> Slots:
    slots = Slots()
    lowered = text.lower()
    slots.destination, where = destination_in(text)
    # "add it to First Dance": ordinals inside the playlist's name are not positions.
    slots.positions = positions_in(text[:where])
    slots.deictic = not slots.positions and bool(_DEICTIC.search(text[:where]))
    slots.count = count_in(text)
    slots.genres = genres_in(lowered)
    slots.moods = [mood for word, mood in MOOD_WORDS.items() if re.search(rf"\b{word}\b", lowered)]
    slots.playlist_name = playlist_name_in(text)
    slots.track = track_in(text)
    slots.artists = artists_in(text, slots)
    slots.liked, slots.disliked = likes_in(text)
    slots.no_explicit = bool(_EXPLICIT_OFF.search(text))
    slots.short_tracks = bool(_SHORT.search(text))
    if _TIME_RANGE_LONG.search(text):
        slots.time_range = "long_term"
    elif _TIME_RANGE_SHORT.search(text):
        slots.time_range = "short_term"
    return slots


def positions_in(text: str) -> list[int]:
    found: list[tuple[int, int]] = []
    for pattern in (_BARE_NUMBERS, _VERB_NUMBERS):
        for match in pattern.finditer(text):
            found += [
                (match.start() + k, int(n)) for k, n in enumerate(re.findall(r"\d{1,2}", match["list"]))
            ]
    if not found:
        found += [(m.start(), int(m.group("n"))) for m in _NUMBERED.finditer(text)]
    for match in _FIRST_N.finditer(text):
        n = NUMBER_WORDS.get(match["n"].lower()) or int(match["n"])
        span = range(1, n + 1) if match["end"].lower() in ("first", "top") else range(-n, 0)
        found += [(match.start() + k, position) for k, position in enumerate(span)]
    if _FIRST_N.search(text):
        return _ordered_unique(found)
    found += [(m.start(), ORDINALS[m.group("o").lower()]) for m in _ORDINAL.finditer(text)]
    return _ordered_unique(found)


def _ordered_unique(found: list[tuple[int, int]]) -> list[int]:
    """Positions in the order said; 0 is kept so the tool can say "there's no track 0"."""
    positions: list[int] = []
    for _, position in sorted(found):
        if position not in positions:
            positions.append(position)
    return positions


def count_in(text: str) -> int | None:
    match = _COUNT.search(text)
    if match:
        return max(1, min(20, int(match.group("n"))))
    match = _COUNT_WORDS.search(text)
    return NUMBER_WORDS[match.group("w").lower()] if match else None


def genres_in(lowered: str) -> list[str]:
    found: list[str] = []
    for alias in sorted(GENRE_ALIASES, key=len, reverse=True):
        if re.search(rf"(?<![\w-]){re.escape(alias)}(?![\w-])", lowered):
            genre = GENRE_ALIASES[alias]
            if genre not in found and not any(alias in other for other in found):
                found.append(genre)
            lowered = lowered.replace(alias, " ")
    return found


def playlist_name_in(text: str) -> str | None:
    match = _PLAYLIST_NAME.search(text) or _QUOTED.search(text)
    if match:
        name = match.group("name").strip(" .!?,")
        return name[:100] or None
    match = _NAMED_PLAYLIST.search(text)  # "make me a workout playlist" → "Workout"
    if match and match["name"].lower() not in {"new", "good", "nice", "great"}:
        return match["name"].strip().title()[:100]
    match = _MY_PLAYLIST.search(text)  # "in my workout playlist"
    if match and match["name"].lower() not in _STOP:
        return match["name"].strip()[:100]
    match = _TO_PLAYLIST.search(text)
    if match and match.group("name").strip().lower() not in _STOP:
        return match.group("name").strip()[:100]
    return None


def track_in(text: str) -> tuple[str, str] | None:
    """ "play Hello by Adele" → ("Hello", "Adele"); only when a title is actually given."""
    match = _TRACK_BY.search(text)
    if not match:
        removal = _REMOVE_TITLE.search(text)
        if (
            removal
            and not positions_in(removal["title"])
            and not _DEICTIC.fullmatch(removal["title"].strip())
        ):
            title = re.sub(r"^(the song|the track|song|track)\s+", "", removal["title"].strip(), flags=re.I)
            return (title, "") if title.lower() not in _STOP else None
        return None
    title = re.sub(
        r"^.*?\b(?:play|add|queue|put|hear|want|love|like|is|was)\s+(?:me\s+)?(?:the song\s+)?",
        "",
        match["title"],
    )
    title = title.strip(" \"“”'")
    if (
        not title
        or title.lower() in _STOP
        or title.lower().startswith(("something", "songs", "music", "anything"))
    ):
        return None
    return title, match.group("artist").strip()


def artists_in(text: str, slots: Slots) -> list[str]:
    names: list[str] = []
    for pattern in (_BY_ARTIST, _LIKE_ARTIST):
        for match in pattern.finditer(text):
            name = match.group("artist").strip(" .'’")
            if _plausible_name(name, slots):
                names.append(name)
    return list(dict.fromkeys(names))


def likes_in(text: str) -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    """Genres, moods, artists wanted more or no more: ("genre", "hip-hop"), ("artist", "Drake")."""
    disliked: list[tuple[str, str]] = []
    liked: list[tuple[str, str]] = []
    spans: list[tuple[int, int]] = []
    for match in _NEGATIVE_SUBJECT.finditer(text):
        disliked += _subject_values(match.group("what"))
        spans.append(match.span())
    for match in _POSITIVE_SUBJECT.finditer(text):
        if any(start <= match.start() < end for start, end in spans):
            continue
        if re.match(r"\s*(like|of)\b", match.group("what"), re.I):
            continue
        liked += _subject_values(match.group("what"))
    return _unique(liked), _unique(disliked)


def _subject_values(what: str) -> list[tuple[str, str]]:
    what = what.strip(" .'’")
    lowered = what.lower()
    if positions_in(what) or _DEICTIC.fullmatch(lowered):
        return []
    genres = genres_in(lowered)
    if genres:
        return [("genre", genre) for genre in genres]
    moods = [mood for word, mood in MOOD_WORDS.items() if re.search(rf"\b{word}\b", lowered)]
    if moods:
        return [("mood", mood) for mood in moods]
    if lowered in {"explicit", "swearing", "explicit songs", "explicit stuff"}:
        return []
    words = [word for word in what.split() if word.lower() not in _STOP]
    if words and any(word[:1].isupper() for word in words):
        return [("artist", " ".join(words))]
    return []


def _plausible_name(name: str, slots: Slots) -> bool:
    lowered = name.lower()
    if not name or lowered in _STOP or positions_in(name) or lowered in GENRE_ALIASES:
        return False
    if slots.track and (name.startswith(slots.track[0]) or " by " in name):
        return False  # "Hello by Adele" is a track, not an artist
    return not lowered.startswith(
        ("the second", "the first", "the third", "the last", "this", "that", "these")
    )


def _unique(pairs: list[tuple[str, str]]) -> list[tuple[str, str]]:
    return list(dict.fromkeys(pairs))
