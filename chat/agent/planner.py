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

from .intents import MUSIC_ASK, IntentGuess, classify_intent
from .preferences import preference_changes
from .slots import IN_PLAY, Slots, extract_slots

_YES = re.compile(
    r"^\s*(yes|yeah|yep|yup|sure|ok(ay)?|please( do)?|go (for it|ahead)|do it|sounds good|why not|"
    r"absolutely|definitely|of course)\b",
    re.I,
)
_NO = re.compile(
    r"^\s*(no|nope|nah|not now|no thanks|maybe later|never ?mind|cancel|forget it|don'?t)\b[\s!.,]*$", re.I
)
_POSITIVE = re.compile(r"\b(love|like|great|amazing|awesome|banger|perfect|nice|good|fire|beautiful)\b", re.I)
_NEGATIVE = re.compile(
    r"\b(hate|awful|terrible|bad|boring|dislike|not (a fan|great|good|for me)|annoying|meh|ugh|cringe)\b",
    re.I,
)
_SKIP = re.compile(r"\bskip\b", re.I)
OFFER_MARK = re.compile(r"\b(want me to|shall i|should i)\b", re.I)


# Tools that change the listener's Spotify: called only on a request the rules can see, or after
# the listener said yes to the question that names the change.
WRITE_TOOLS = frozenset({"create_playlist", "add_to_playlist", "remove_from_playlist", "undo_last_change"})
WRITE_INTENTS = frozenset({"create_playlist", "add_to_playlist", "remove_from_playlist", "undo"})


# Requests to do something, where a mood line under the message is noise.
COMMAND_INTENTS = frozenset(
    {
        "create_playlist",
        "add_to_playlist",
        "remove_from_playlist",
        "list_playlists",
        "recent",
        "top_tracks",
        "top_artists",
        "explain",
        "account",
        "undo",
        "more_like",
    }
)


def mood_is_noise(text: str, guess: IntentGuess) -> bool:
    """A command, or a bare yes/no: a mood line under it says nothing (the page leaves it out)."""
    bare = len(text.split()) <= 3 and bool(_YES.match(text) or _NO.match(text))
    return guess.intent in COMMAND_INTENTS or bare


def write_requested(text: str, guess: IntentGuess, *, asked: bool) -> bool:
    """Whether this message licenses a Spotify write: a write request the rules see, or a yes to
    a question the last reply asked (which named the change). The LLM path is held to this too."""
    if guess.intent in WRITE_INTENTS and guess.by == "rule":
        return True
    return asked and bool(_YES.match(text))


ANSWER_WORDS = 8  # longer than this, a reply to "which playlist?" is taken as a new message


@dataclass
class Plan:
    intent: str
    calls: list[tuple[str, dict]] = field(default_factory=list)
    say: str | None = None  # reply kind when no tool is called: greet, thanks, chat, clarify, …
    clarify: str | None = None  # what to ask, for say == "clarify"
    slots: Slots = field(default_factory=Slots)
    pending: list[tuple[str, dict]] = field(default_factory=list)  # writes waiting for a yes


def plan_turn(text: str, *, offered: bool = False, pending: list[tuple[str, dict]] | None = None) -> Plan:
    """What to do with one listener message.

    ``offered``: the previous reply offered music; ``pending``: it asked to confirm these writes.
    """
    slots = extract_slots(text)
    if pending and _YES.match(text):
        return Plan(_intent_of(pending), list(pending), slots=slots)
    if pending and _NO.match(text):
        return Plan("chat", say="declined", slots=slots)
    if pending and playlist_needed(pending) and len(text.split()) <= ANSWER_WORDS:
        guess = classify_intent(text)
        if guess.by != "rule" or guess.intent in ("add_to_playlist", "remove_from_playlist"):
            # The answer to "Which playlist do you mean: …?": the name goes into the waiting write.
            name = slots.destination if slots.destination not in (None, IN_PLAY) else text.strip(' .!?"“”')
            calls = [(tool, {**args, "playlist": name}) for tool, args in pending]
            return Plan(_intent_of(pending), calls, slots=slots)
    if offered and _YES.match(text):
        return Plan("recommend", [("recommend_tracks", _recommend_args(slots, text))], slots=slots)
    if offered and _NO.match(text):
        return Plan("chat", say="declined", slots=slots)
    guess = classify_intent(text)
    intent = guess.intent
    plan = Plan(intent, slots=slots)
    if intent in WRITE_INTENTS and guess.by != "rule":
        # Only a resemblance to a write request: build it, then ask before doing it.
        builder = _BUILDERS[intent]
        builder(plan, text)
        writes = [call for call in plan.calls if call[0] in WRITE_TOOLS]
        if writes:
            plan.pending = writes
            plan.calls = []
            plan.say = "clarify"
            plan.clarify = confirm_question(writes)
        return plan
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


def playlist_needed(pending: list[tuple[str, dict]]) -> bool:
    """The waiting write lacks only its playlist (the last reply asked which one)."""
    return any(
        tool in ("add_to_playlist", "remove_from_playlist") and args.get("playlist") is None
        for tool, args in pending
    )


def _intent_of(calls: list[tuple[str, dict]]) -> str:
    names = [name for name, _ in calls]
    for intent in ("create_playlist", "add_to_playlist", "remove_from_playlist"):
        if intent in names:
            return intent
    return "undo" if "undo_last_change" in names else "recommend"


def confirm_question(writes: list[tuple[str, dict]]) -> str:
    """The yes/no question that names exactly the change that would be made."""
    name, args = writes[-1]
    which = _which_tracks(args)
    named = args.get("playlist") and args["playlist"].lower() not in ("it", "that", "this")
    where = f"“{args['playlist']}”" if named else "the playlist we're working on"
    if name == "create_playlist":
        change = f"save {which} as a new playlist “{args['name']}” on your Spotify"
    elif name == "add_to_playlist":
        change = f"add {which} to {where}"
    elif name == "remove_from_playlist":
        change = f"remove {which} from {where}"
    else:
        change = "undo my last change to your playlists"
    return f"Just to check — should I {change}? Say yes and I'll do it."


def _which_tracks(args: dict) -> str:
    if args.get("tracks"):
        return ", ".join(args["tracks"])
    positions = args.get("positions") or []
    if not positions:
        return "these tracks"
    words = {1: "first", 2: "second", 3: "third", 4: "fourth", 5: "fifth", -1: "last"}
    named = [words.get(p, f"number {p}") for p in positions]
    return f"the {' and '.join(named)} {'one' if len(named) == 1 else 'ones'}"


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
        if slots.destination == IN_PLAY:
            args["playlist"] = "it"  # "to it": the playlist in play, said so
        elif slots.destination:
            args["playlist"] = slots.destination
        elif slots.playlist_name:
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


def _account(plan: Plan, text: str) -> None:
    plan.calls.append(("account_help", {"request": text}))


def _undo(plan: Plan, text: str) -> None:
    plan.calls.append(("undo_last_change", {}))


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
    "account": _account,
    "undo": _undo,
}


# What a turn did, in the words of ``eval_agent`` (and the stored message's meta).
ACTIONS = (
    "chat",
    "ask",
    "recommend",
    "playlist_create",
    "playlist_add",
    "playlist_remove",
    "library_read",
    "preference_set",
    "feedback",
    "explain",
    "account",
    "unsupported",
    "undo",
)
_INTENT_ACTIONS = {
    "recommend": "recommend",
    "more_like": "recommend",
    "create_playlist": "playlist_create",
    "add_to_playlist": "playlist_add",
    "remove_from_playlist": "playlist_remove",
    "list_playlists": "library_read",
    "recent": "library_read",
    "top_tracks": "library_read",
    "top_artists": "library_read",
    "preference": "preference_set",
    "feedback": "feedback",
    "explain": "explain",
    "account": "account",
    "unsupported": "unsupported",
    "undo": "undo",
}
_TOOL_ACTIONS = {
    "create_playlist": "playlist_create",
    "add_to_playlist": "playlist_add",
    "remove_from_playlist": "playlist_remove",
    "undo_last_change": "undo",
}


def turn_action(meta: dict, state: object | None = None) -> str:
    """One action per turn: a question asked wins; then a write; then what the intent was for."""
    if meta.get("asked"):
        return "ask"
    tools = meta.get("tools") or []
    for tool in tools:
        if tool in _TOOL_ACTIONS:
            return _TOOL_ACTIONS[tool]
    intent = meta.get("intent", "chat")
    if intent in ("chat", "greet", "thanks") and "set_preference" in tools:
        return "preference_set"
    if intent == "preference" and "set_preference" not in tools and "give_feedback" in tools:
        return "feedback"
    return _INTENT_ACTIONS.get(intent, "chat")
