"""Intent gating for the offline agent: per turn, talk, ask, recommend, or act — and with which tools.

``plan_turn`` reads one message (its intent and slots, and whether the last reply offered
music) and returns a ``Plan``: either tool calls, or a kind of spoken reply with no tools.
A recommendation is made only when the listener asks for music or accepts an offer of it;
someone who just says how they feel is answered and *asked*, not handed a list.

No database here: the same plan drives the offline agent and the local LLM stand-in, which
turns it into OpenAI tool calls.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from .intents import MUSIC_ASK, classify_intent
from .preferences import preference_changes
from .slots import Slots, extract_slots

_YES = re.compile(
    r"^\s*(yes|yeah|yep|yup|sure|ok(ay)?|please( do)?|go (for it|ahead)|do it|sounds good|why not|"
    r"absolutely|definitely|of course)\b",
    re.I,
)
_NO = re.compile(r"^\s*(no|nope|nah|not now|no thanks|maybe later)\b[\s!.,]*$", re.I)
_POSITIVE = re.compile(r"\b(love|like|great|amazing|awesome|banger|perfect|nice|good|fire|beautiful)\b", re.I)
_NEGATIVE = re.compile(
    r"\b(hate|awful|terrible|bad|boring|dislike|not (a fan|great|good|for me)|annoying|meh|ugh|cringe)\b",
    re.I,
)
_SKIP = re.compile(r"\bskip\b", re.I)
OFFER_MARK = re.compile(r"\b(want me to|shall i|should i)\b", re.I)


@dataclass
class Plan:
    intent: str
    calls: list[tuple[str, dict]] = field(default_factory=list)
    say: str | None = None  # reply kind when no tool is called: greet, thanks, chat, clarify, …
    clarify: str | None = None  # what to ask, for say == "clarify"
    slots: Slots = field(default_factory=Slots)


def plan_turn(text: str, *, offered: bool = False) -> Plan:
    """What to do with one listener message; ``offered``: the previous reply offered music."""
    slots = extract_slots(text)
    if offered and _YES.match(text):
        return Plan("recommend", [("recommend_tracks", _recommend_args(slots, text))], slots=slots)
    if offered and _NO.match(text):
        return Plan("chat", say="declined", slots=slots)
    intent = classify_intent(text).intent
    plan = Plan(intent, slots=slots)
    builder = _BUILDERS.get(intent)
    if builder is None:
        plan.say = intent  # greet, thanks, goodbye, capabilities, unsupported, chat
        if intent in ("chat", "greet", "thanks"):
            # "long day… I love jazz though": answer the person, and remember the taste too.
            plan.calls = [("set_preference", vars(change)) for change in preference_changes(slots)]
        return plan
    builder(plan, text)
    if not plan.calls and plan.say is None:
        plan.say = "chat"
    return plan


def _recommend_args(slots: Slots, text: str) -> dict:
    args: dict = {"request": text}
    if slots.count:
        args["count"] = slots.count
    if slots.genres:
        args["genres"] = slots.genres
    if slots.artists:
        args["artists"] = slots.artists
    if slots.track:
        title, artist = slots.track
        args["like_tracks"] = [f"{title} by {artist}" if artist else title]
        args["artists"] = [name for name in args.get("artists", []) if name != artist] or None
        if args["artists"] is None:
            del args["artists"]
    return args


def _recommend(plan: Plan, text: str) -> None:
    slots = plan.slots
    plan.calls += [("set_preference", vars(change)) for change in preference_changes(slots)]
    args = _recommend_args(slots, text)
    disliked = {value for _, value in slots.disliked}
    if "genres" in args:
        args["genres"] = [genre for genre in args["genres"] if genre not in disliked] or None
        if args["genres"] is None:
            del args["genres"]
    plan.calls.append(("recommend_tracks", args))


def _more_like(plan: Plan, text: str) -> None:
    args = _recommend_args(plan.slots, text)
    args["like_positions"] = plan.slots.positions or [1, 2, 3]
    plan.calls.append(("recommend_tracks", args))


def _preference(plan: Plan, text: str) -> None:
    changes = preference_changes(plan.slots)
    if changes:
        plan.calls += [("set_preference", vars(change)) for change in changes]
        if MUSIC_ASK.search(text):  # "no more rap, play something upbeat"
            plan.calls.append(("recommend_tracks", {"request": text}))
        return
    if plan.slots.positions or plan.slots.deictic:
        _feedback(plan, text)
        return
    plan.say = "clarify"
    plan.clarify = "Which artist, genre or mood do you mean?"


_THESE = re.compile(r"\b(these|them|this( list)?|those|that list|the list)\b", re.I)


def _create_playlist(plan: Plan, text: str) -> None:
    args: dict = {"name": plan.slots.playlist_name or "PersonalAIs picks"}
    if not plan.slots.positions and not plan.slots.track and not _THESE.search(text):
        # "make me a workout playlist": pick the tracks first, then save them.
        plan.calls.append(("recommend_tracks", _recommend_args(plan.slots, text)))
    if plan.slots.positions:
        args["positions"] = plan.slots.positions
    if plan.slots.track:
        args["tracks"] = [f"{plan.slots.track[0]} by {plan.slots.track[1]}"]
    plan.calls.append(("create_playlist", args))


def _edit_playlist(tool: str):
    def build(plan: Plan, text: str) -> None:
        slots = plan.slots
        args: dict = {}
        if slots.playlist_name:
            args["playlist"] = slots.playlist_name
        if slots.track:
            title, artist = slots.track
            args["tracks"] = [f"{title} by {artist}" if artist else title]
        elif slots.positions:
            args["positions"] = slots.positions
        elif tool == "remove_from_playlist" or not _THESE.search(text):
            # Never guess "the whole list" for an edit: ask which tracks.
            plan.say = "clarify"
            plan.clarify = (
                "Which one? Say e.g. “the third one”."
                if tool == "remove_from_playlist"
                else "Which tracks? Say e.g. “add the first two to Gym” or “add these to Gym”."
            )
            return
        plan.calls.append((tool, args))

    return build


def _explain(plan: Plan, text: str) -> None:
    args = {"position": plan.slots.positions[0]} if plan.slots.positions else {}
    plan.calls.append(("explain_track", args))


def _feedback(plan: Plan, text: str) -> None:
    if not plan.slots.positions and not plan.slots.deictic:
        plan.say = "clarify"
        plan.clarify = "Which track do you mean? Say e.g. “the second one”."
        return
    kind = "skip" if _SKIP.search(text) else "dislike" if _NEGATIVE.search(text) else "like"
    if kind == "like" and not _POSITIVE.search(text):
        plan.say = "chat"
        return
    for position in plan.slots.positions or [1]:
        plan.calls.append(("give_feedback", {"position": position, "kind": kind}))


def _simple(tool: str, with_range: bool = False):
    def build(plan: Plan, text: str) -> None:
        plan.calls.append((tool, {"time_range": plan.slots.time_range} if with_range else {}))

    return build


_BUILDERS = {
    "recommend": _recommend,
    "more_like": _more_like,
    "preference": _preference,
    "create_playlist": _create_playlist,
    "add_to_playlist": _edit_playlist("add_to_playlist"),
    "remove_from_playlist": _edit_playlist("remove_from_playlist"),
    "list_playlists": _simple("list_playlists"),
    "recent": _simple("recently_played"),
    "top_tracks": _simple("top_tracks", with_range=True),
    "top_artists": _simple("top_artists", with_range=True),
    "explain": _explain,
    "feedback": _feedback,
}
