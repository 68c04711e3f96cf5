"""The agent's tools: typed functions whose docstrings are the tool descriptions.

An LLM (through JSON schemas generated from these signatures) and the offline agent call the
same functions. Each acts only for ``state.user``, calls services (never the ORM for writes,
never Spotify directly), grounds every track or artist it is given by name, and returns a
``ToolResult``: a plain sentence that can be said as is, plus JSON for an LLM. Failures come
back as results with ``ok=False`` and a clear sentence — a tool never raises at the agent.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Literal

from accounts.models import User
from catalog.grounding import NAME_MATCH, name_similarity
from catalog.models import Playlist, Track
from chat.models import Conversation
from mood.labels import LABEL_COORDINATES
from mood.perception import EmotionEstimate
from mood.target import ListeningTarget, listening_target
from recommender import services as recommender_services
from recommender import tastes
from recommender.models import TastePreference
from spotify import services as spotify_services
from spotify.errors import SpotifyError, said_to_listener
from spotify.lookup import LookupUnavailable, artist_resolve, track_resolve
from spotify.models import Play, TimeRange, TopArtist, TopTrack
from spotify.services import PlaylistItemsNotAdded

from .tool_calling import BadArguments, arguments_checked, function_schema

logger = logging.getLogger(__name__)

MAX_COUNT = 20


@dataclass
class TurnState:
    """What the tools of one turn read and write; positions are 1-based in ``shown``."""

    user: User
    conversation: Conversation
    text: str
    mood: EmotionEstimate
    shown: list[dict] = field(default_factory=list)  # the latest track list the listener saw
    picked: list[dict] = field(default_factory=list)  # the latest list the agent recommended
    playlist: dict | None = None  # {"id", "spotify_id", "name"}: the playlist in play in this conversation
    new_tracks: list[dict] = field(default_factory=list)  # tracks to show with this turn's reply
    actions: list[dict] = field(default_factory=list)  # action events for the UI
    tools_called: list[str] = field(default_factory=list)
    summaries: list[str] = field(default_factory=list)  # what each tool said, in order


@dataclass(frozen=True)
class ToolResult:
    ok: bool
    summary: str  # a sentence the agent can say as is
    data: dict = field(default_factory=dict)

    def for_llm(self) -> dict:
        return {"ok": self.ok, "summary": self.summary, **self.data}


# --- helpers ------------------------------------------------------------------------------------


def _track_card(track: Track, **extra: object) -> dict:
    artists = [link.artist.name for link in track.artist_links.select_related("artist").order_by("position")]
    return {
        "track_id": track.pk,
        "spotify_id": track.spotify_id,
        "name": track.name,
        "artists": artists,
        "album": track.album.name if track.album_id and track.album else "",
        "duration_ms": track.duration_ms,
        "genre": track.genre,
        "valence": track.valence,
        "energy": track.energy,
        "reason": "",
        "sources": [],
        **extra,
    }


def _describe(track: dict) -> str:
    artists = ", ".join(track.get("artists") or []) or "unknown artist"
    return f"“{track['name']}” by {artists}"


def _at_positions(state: TurnState, positions: list[int] | None) -> tuple[list[dict], str | None]:
    """Tracks of the latest list at these positions (-1 = last); an error sentence when out of range."""
    if not state.shown:
        return [], "There's no list on screen yet — ask me for some music first."
    if not positions:
        return list(state.shown), None
    picked: list[dict] = []
    for position in positions:
        index = len(state.shown) + position if position < 0 else position - 1
        if not 0 <= index < len(state.shown):
            return [], f"There's no track {position} — the last list has {len(state.shown)}."
        picked.append(state.shown[index])
    return picked, None


def _grounded(state: TurnState, names: list[str] | None) -> tuple[list[dict], list[str]]:
    """Cards for "Title - Artist" / "Title by Artist" names; the names that matched nothing."""
    cards, missing = [], []
    for name in names or []:
        title, artist, duration_ms = _split_name(name)
        track = track_resolve(title, artist, user=state.user, duration_ms=duration_ms)
        if track is None:
            missing.append(name)
        else:
            cards.append(_track_card(track))
    return cards, missing


_DURATION = re.compile(r"\s*[\(\[]?(?P<m>\d{1,2}):(?P<s>[0-5]\d)[\)\]]?\s*$")


def _split_name(name: str) -> tuple[str, str, int | None]:
    """ "Title by Artist (3:45)" / "Artist - Title" → (title, artist, duration in ms or None)."""
    duration_ms = None
    timed = _DURATION.search(name)
    if timed:
        duration_ms = (int(timed["m"]) * 60 + int(timed["s"])) * 1000
        name = name[: timed.start()]
    match = re.match(r"^(?P<title>.+?)\s+by\s+(?P<artist>.+)$", name, re.I)
    if match:
        return match["title"].strip(' "“”'), match["artist"].strip(), duration_ms
    if " - " in name:
        left, right = name.split(" - ", 1)
        return right.strip(' "“”'), left.strip(), duration_ms  # "Artist - Title", as Spotify writes it
    return name.strip(' "“”'), "", duration_ms


def _playlist_named(state: TurnState, name: str | None) -> Playlist | None:
    mine = Playlist.objects.filter(owner=state.user)
    if name:
        exact = mine.filter(name__iexact=name.strip()).order_by("-id").first()
        if exact:
            return exact
        close = [p for p in mine.order_by("-id")[:200] if name_similarity(p.name, name) >= NAME_MATCH]
        return close[0] if close else None
    if state.playlist:
        return mine.filter(pk=state.playlist["id"]).first()
    return None


def _in_play(playlist: Playlist) -> dict:
    return {"id": playlist.pk, "spotify_id": playlist.spotify_id, "name": playlist.name}


def _spotify_failure(exc: Exception) -> ToolResult:
    if isinstance(exc, SpotifyError):
        return ToolResult(False, said_to_listener(exc), {"error": "spotify"})
    return ToolResult(False, str(exc), {"error": "invalid"})


# --- tools --------------------------------------------------------------------------------------


def recommend_tracks(
    state: TurnState,
    mood: str | None = None,
    count: int = 8,
    genres: list[str] | None = None,
    artists: list[str] | None = None,
    like_positions: list[int] | None = None,
    like_tracks: list[str] | None = None,
    request: str = "",
) -> ToolResult:
    """Recommend tracks for the listener and show them as cards.

    Args:
        mood: Target mood: one of anger, disgust, fear, joy, neutral, sadness, surprise, calm, energize.
            Leave empty to use the mood perceived from the conversation.
        count: How many tracks (1-20).
        genres: Genres to keep to, e.g. ["jazz"], if the listener asked for some.
        artists: Artist names to keep to, if the listener asked for some.
        like_positions: Positions (1-based, -1 = last) in the latest list to sound like
            ("more like the second one").
        like_tracks: Tracks named as "Title by Artist" (optionally with its length, "(3:45)") to start
            from and sound like; each is looked up, never assumed to exist.
        request: The listener's words about what they want, used to match tracks.
    """
    count = max(1, min(MAX_COUNT, int(count or 8)))
    request = request or state.text
    seeds, error = _at_positions(state, like_positions) if like_positions else ([], None)
    if error:
        return ToolResult(False, error, {"error": "position"})
    named, missing_tracks = _grounded(state, like_tracks)
    seeds = seeds + named
    constraints = tastes.taste_constraints(user=state.user)
    if not mood and not seeds and state.mood.label == "neutral" and constraints.liked_moods:
        # Nothing to go on this turn: lean toward a mood the listener said they like.
        mood = sorted(constraints.liked_moods)[0]
    target = _target(state, mood, request)
    strategy = target.strategy
    if strategy is None and target.label in constraints.avoided_moods:
        strategy = "lift"
    artist_ids: list[int] = []
    unknown: list[str] = []
    for name in artists or []:
        artist = artist_resolve(name, user=state.user)
        (artist_ids.append(artist.pk) if artist else unknown.append(name))
    focus = recommender_services.Focus(
        genres=tuple(g.lower() for g in genres or ()),
        artist_ids=tuple(artist_ids),
        seed_track_ids=tuple(t["track_id"] for t in seeds if t.get("track_id")),
        max_duration_ms=tastes.SHORT_TRACK_MS if constraints.short_tracks else None,
    )
    try:
        picks = recommender_services.recommend_tracks(
            user=state.user,
            label=target.label,
            valence=target.valence,
            arousal=target.arousal,
            text=request,
            count=count,
            strategy=strategy,
            allow_explicit=False if constraints.no_explicit else None,
            focus=focus,
        )
    except Exception:
        logger.exception("recommendation failed for user %s", state.user.pk)
        return ToolResult(
            False, "I couldn't pick tracks just now — please try again in a moment.", {"error": "internal"}
        )
    cards = [card | {"reason": "the track you asked for"} for card in named]
    cards += [pick.as_dict() for pick in picks]
    cards = cards[: max(count, len(named))]
    state.new_tracks = cards
    state.shown = cards
    state.picked = cards
    matched = _focus_matched(cards, focus)
    data = {
        "target": {"label": target.label, "valence": target.valence, "arousal": target.arousal},
        "tracks": [
            {"position": i + 1, "name": c["name"], "artists": c["artists"], "genre": c["genre"]}
            for i, c in enumerate(cards)
        ],
        "lifted": bool(cards and cards[0].get("lifted")),
        "unknown_artists": unknown,
        "focus_matched": matched,
        "like": [_describe(t) for t in seeds],
    }
    if not cards:
        return ToolResult(
            False, "I couldn't find tracks for that yet — the catalog may still be loading.", data
        )
    summary = f"Here are {len(cards)} tracks"
    if named:
        summary = (
            f"Here's {', '.join(_describe(t) for t in named)}, and {len(cards) - len(named)} more like it"
        )
    elif seeds:
        summary += f" that sound like {', '.join(_describe(t) for t in seeds)}"
    if missing_tracks:
        summary += f"; I couldn't find {', '.join(missing_tracks)} in the catalog or on Spotify"
    if unknown:
        summary += f"; I couldn't find {', '.join(unknown)} in the catalog or on Spotify"
    if focus.narrows and not matched:
        asked = [*(genres or []), *[name for name in artists or [] if name not in unknown]]
        summary += f"; nothing matched {', '.join(asked)}, so these are the closest in mood"
    return ToolResult(True, summary + ".", data)


def _target(state: TurnState, mood: str | None, request: str) -> ListeningTarget:
    mood = (mood or "").lower().strip()
    if mood in LABEL_COORDINATES and mood != state.mood.label:
        valence, arousal = LABEL_COORDINATES[mood]
        return listening_target(EmotionEstimate(mood, valence, arousal, 0.9), request)
    if mood == "calm":
        return listening_target(state.mood, f"{request} calm")
    if mood == "energize":
        return listening_target(state.mood, f"{request} energetic")
    return listening_target(state.mood, request)


def _focus_matched(cards: list[dict], focus: recommender_services.Focus) -> bool:
    if not focus.narrows:
        return True
    genres = set(focus.genres)
    ids = set(focus.artist_ids)
    if not cards:
        return False
    track_ids = [c["track_id"] for c in cards]
    artist_hits = set(
        Track.objects.filter(pk__in=track_ids, artist_links__artist_id__in=ids).values_list("pk", flat=True)
    )
    return any(c["genre"].lower() in genres or c["track_id"] in artist_hits for c in cards) or bool(
        Track.objects.filter(pk__in=track_ids, subgenre__in=genres).exists()
    )


def explain_track(state: TurnState, position: int | None = None) -> ToolResult:
    """Explain why a track in the latest list was picked (or the whole list when no position is given).

    Args:
        position: Position (1-based, -1 = last) in the latest list.
    """
    note = ""
    if state.shown and not any("score" in track for track in state.shown) and state.picked:
        # The list on screen is the listener's own history: explain the picks, and say so.
        note = "That list is your own Spotify history, not my picks. About my last picks: "
        state = TurnState(state.user, state.conversation, state.text, state.mood, shown=state.picked)
    picked, error = _at_positions(state, [position] if position else None)
    if error:
        return ToolResult(False, error, {"error": "position"})
    if position:
        track = picked[0]
        reason = track.get("reason") or "it's one of the tracks you asked to see"
        summary = f"{note}{_describe(track)}: {reason}."
        return ToolResult(True, summary, {"track": _describe(track), "reason": reason})
    reasons = [
        f"{i + 1}. {_describe(t)} — {t.get('reason') or 'from your library'}"
        for i, t in enumerate(picked[:3])
    ]
    summary = f"{note}I match tracks to the mood I read from you and to what you play; for example: "
    return ToolResult(True, summary + "; ".join(reasons) + ".", {"reasons": reasons})


def create_playlist(
    state: TurnState, name: str, positions: list[int] | None = None, tracks: list[str] | None = None
) -> ToolResult:
    """Create a new playlist on the listener's Spotify with tracks from the latest list or named tracks.

    Args:
        name: The playlist's name.
        positions: Positions (1-based) in the latest list; empty means the whole list.
        tracks: Tracks named as "Title by Artist", used instead of positions.
    """
    cards, missing = _grounded(state, tracks) if tracks else ([], [])
    if not tracks:
        cards, error = _at_positions(state, positions)
        if error:
            return ToolResult(False, error, {"error": "position"})
    if not cards:
        return ToolResult(
            False, f"I couldn't find {', '.join(missing)}, so I made no playlist.", {"missing": missing}
        )
    try:
        playlist = spotify_services.playlist_create_with_tracks(
            user=state.user, name=name, track_spotify_ids=[card["spotify_id"] for card in cards]
        )
    except PlaylistItemsNotAdded as exc:
        state.playlist = _in_play(exc.playlist)
        return ToolResult(
            False,
            f"I created “{exc.playlist.name}” on your Spotify, but adding the tracks failed: "
            f"{said_to_listener(exc.cause)} The playlist is there, empty.",
            {"error": "spotify", "playlist": exc.playlist.name},
        )
    except (SpotifyError, ValueError) as exc:
        return _spotify_failure(exc)
    for card in cards:
        if card.get("track_id"):
            recommender_services.feedback_record(
                user=state.user,
                track_id=card["track_id"],
                kind="saved",
                served_item_id=card.get("served_item_id"),
            )
    state.playlist = _in_play(playlist)
    state.actions.append(
        {
            "type": "action",
            "action": "playlist_created",
            "text": f"Saved {len(cards)} tracks to “{playlist.name}” on your Spotify.",
            "playlist": {"spotify_id": playlist.spotify_id, "name": playlist.name},
        }
    )
    summary = f"Created “{playlist.name}” on your Spotify with {len(cards)} tracks"
    summary += f"; I couldn't find {', '.join(missing)}." if missing else "."
    return ToolResult(True, summary, {"playlist": playlist.name, "added": len(cards), "missing": missing})


def add_to_playlist(
    state: TurnState,
    playlist: str | None = None,
    positions: list[int] | None = None,
    tracks: list[str] | None = None,
) -> ToolResult:
    """Add tracks (from the latest list, or named) to one of the listener's own playlists.

    Args:
        playlist: The playlist's name; empty means the playlist made or edited last in this chat.
        positions: Positions (1-based, -1 = last) in the latest list; empty means the whole list.
        tracks: Tracks named as "Title by Artist", used instead of positions.
    """
    return _edit_playlist(state, playlist, positions, tracks, adding=True)


def remove_from_playlist(
    state: TurnState,
    playlist: str | None = None,
    positions: list[int] | None = None,
    tracks: list[str] | None = None,
) -> ToolResult:
    """Remove tracks from one of the listener's own playlists.

    Args:
        playlist: The playlist's name; empty means the playlist made or edited last in this chat.
        positions: Positions (1-based, -1 = last) in the latest list shown.
        tracks: Tracks named as "Title by Artist", used instead of positions.
    """
    if not positions and not tracks:
        return ToolResult(
            False, "Which track should I remove? Say e.g. “remove the third one”.", {"error": "ask"}
        )
    return _edit_playlist(state, playlist, positions, tracks, adding=False)


def _edit_playlist(
    state: TurnState, name: str | None, positions: list[int] | None, tracks: list[str] | None, *, adding: bool
) -> ToolResult:
    target = _playlist_named(state, name)
    if target is None:
        which = f"a playlist of yours called “{name}”" if name else "which playlist you mean"
        return ToolResult(
            False, f"I can't find {which} — say its name, or make one first.", {"error": "playlist"}
        )
    missing: list[str] = []
    if tracks and not adding:
        cards, missing = _in_playlist(target, tracks)
    elif tracks:
        cards, missing = _grounded(state, tracks)
    else:
        cards, error = _at_positions(state, positions)
        if error:
            return ToolResult(False, error, {"error": "position"})
    if not adding:
        inside = set(target.items.values_list("track__spotify_id", flat=True))
        missing += [_describe(card) for card in cards if card["spotify_id"] not in inside]
        cards = [card for card in cards if card["spotify_id"] in inside]
        if not cards:
            return ToolResult(False, f"{', '.join(missing)}: not in “{target.name}”.", {"missing": missing})
    if not cards:
        return ToolResult(
            False, f"I couldn't find {', '.join(missing) or 'those tracks'}.", {"missing": missing}
        )
    edit = spotify_services.playlist_add_tracks if adding else spotify_services.playlist_remove_tracks
    try:
        edit(user=state.user, playlist_id=target.pk, track_spotify_ids=[card["spotify_id"] for card in cards])
    except (SpotifyError, ValueError) as exc:
        return _spotify_failure(exc)
    state.playlist = _in_play(target)
    names = ", ".join(_describe(card) for card in cards)
    verb, preposition = ("Added", "to") if adding else ("Removed", "from")
    text = f"{verb} {names} {preposition} “{target.name}”."
    state.actions.append(
        {
            "type": "action",
            "action": "playlist_tracks_added" if adding else "playlist_tracks_removed",
            "text": text,
            "playlist": {"spotify_id": target.spotify_id, "name": target.name},
        }
    )
    if missing:
        text += f" Not done for {', '.join(missing)}: {'not found' if adding else 'not in that playlist'}."
    return ToolResult(
        True, text, {"playlist": target.name, "tracks": [_describe(c) for c in cards], "missing": missing}
    )


def _in_playlist(playlist: Playlist, names: list[str]) -> tuple[list[dict], list[str]]:
    """Tracks of this playlist matching "Title" / "Title by Artist"; the names that match none of them."""
    items = [item.track for item in playlist.items.select_related("track", "track__album")]
    cards, missing = [], []
    for name in names:
        title, artist, _ = _split_name(name)
        found = [
            track
            for track in items
            if name_similarity(track.name, title) >= NAME_MATCH
            and (
                not artist or any(name_similarity(a.name, artist) >= NAME_MATCH for a in track.artists.all())
            )
        ]
        (cards.append(_track_card(found[0])) if found else missing.append(name))
    return cards, missing


def list_playlists(state: TurnState) -> ToolResult:
    """List the listener's own playlists (as last synced from Spotify)."""
    rows = list(
        Playlist.objects.filter(owner=state.user).order_by("name").values_list("name", flat=True)[:50]
    )
    if not rows:
        return ToolResult(
            True, "You have no playlists of your own yet (or Spotify hasn't synced them).", {"playlists": []}
        )
    return ToolResult(True, f"Your playlists: {', '.join(rows)}.", {"playlists": rows})


def _time_range(value: str) -> str:
    return value if value in TimeRange.values else TimeRange.MEDIUM


def top_tracks(
    state: TurnState,
    time_range: Literal["short_term", "medium_term", "long_term"] = "medium_term",
    limit: int = 10,
) -> ToolResult:
    """Show the listener's most played tracks on Spotify.

    Args:
        time_range: short_term (4 weeks), medium_term (6 months) or long_term (all time).
        limit: How many (1-20).
    """
    time_range = _time_range(time_range)
    rows = TopTrack.objects.filter(user=state.user, time_range=time_range).select_related(
        "track", "track__album"
    )
    cards = [
        _track_card(row.track, reason=f"your #{row.rank}")
        for row in rows.order_by("rank")[: max(1, min(20, limit))]
    ]
    return _shown_list(state, cards, f"your top tracks ({TimeRange(time_range).label.lower()})")


def recently_played(state: TurnState, limit: int = 10) -> ToolResult:
    """Show what the listener played recently on Spotify.

    Args:
        limit: How many (1-20).
    """
    rows = Play.objects.filter(user=state.user).select_related("track", "track__album").order_by("-played_at")
    cards = [
        _track_card(play.track, reason=f"played {play.played_at:%a %H:%M}")
        for play in rows[: max(1, min(20, limit))]
    ]
    return _shown_list(state, cards, "what you played lately")


def _shown_list(state: TurnState, cards: list[dict], what: str) -> ToolResult:
    if not cards:
        return ToolResult(
            False,
            f"I don't have {what} yet — connect Spotify on the Library page and let it sync.",
            {"tracks": []},
        )
    state.new_tracks = cards
    state.shown = cards
    names = "; ".join(f"{i + 1}. {_describe(card)}" for i, card in enumerate(cards[:5]))
    more = f" (and {len(cards) - 5} more)" if len(cards) > 5 else ""
    return ToolResult(True, f"Here's {what}: {names}{more}.", {"tracks": [_describe(c) for c in cards]})


def top_artists(
    state: TurnState,
    time_range: Literal["short_term", "medium_term", "long_term"] = "medium_term",
    limit: int = 10,
) -> ToolResult:
    """Name the listener's most played artists on Spotify.

    Args:
        time_range: short_term (4 weeks), medium_term (6 months) or long_term (all time).
        limit: How many (1-20).
    """
    time_range = _time_range(time_range)
    names = list(
        TopArtist.objects.filter(user=state.user, time_range=time_range)
        .order_by("rank")
        .values_list("artist__name", flat=True)[: max(1, min(20, limit))]
    )
    if not names:
        return ToolResult(
            False, "I don't have your top artists yet — connect Spotify on the Library page.", {"artists": []}
        )
    label = TimeRange(time_range).label.lower()
    return ToolResult(True, f"Your top artists ({label}): {', '.join(names)}.", {"artists": names})


def set_preference(
    state: TurnState,
    kind: Literal["artist", "genre", "mood", "constraint"],
    value: str,
    liked: bool,
) -> ToolResult:
    """Remember something the listener likes or wants no more of; later recommendations follow it.

    Args:
        kind: artist, genre, mood, or constraint (constraints: no_explicit, short_tracks).
        value: The artist name, genre, mood (e.g. sadness, calm) or constraint name.
        liked: true for "more of this" (or "apply this constraint"), false for "no more of this".
    """
    outcome = tastes.taste_remember(user=state.user, kind=kind, value=value, liked=liked, source="chat")
    return ToolResult(outcome.ok, outcome.message, outcome.data)


def give_feedback(state: TurnState, position: int, kind: Literal["like", "dislike", "skip"]) -> ToolResult:
    """Record the listener's reaction to a track in the latest list; dislikes are never played again.

    Args:
        position: Position (1-based, -1 = last) in the latest list.
        kind: like, dislike or skip.
    """
    picked, error = _at_positions(state, [position])
    if error:
        return ToolResult(False, error, {"error": "position"})
    track = picked[0]
    if kind not in ("like", "dislike", "skip") or not track.get("track_id"):
        return ToolResult(False, "Feedback can be like, dislike or skip.", {"error": "invalid"})
    recommender_services.feedback_record(
        user=state.user, track_id=track["track_id"], kind=kind, served_item_id=track.get("served_item_id")
    )
    if kind == "dislike":
        tastes.taste_set(
            user=state.user,
            kind=TastePreference.Kind.TRACK,
            value=track["spotify_id"],
            label=_describe(track),
            liked=False,
            source="feedback",
        )
    words = {"like": "Noted — more like", "dislike": "Got it — no more", "skip": "Skipped"}[kind]
    return ToolResult(True, f"{words} {_describe(track)}.", {"track": _describe(track), "kind": kind})


TOOLS: dict[str, Callable[..., ToolResult]] = {
    tool.__name__: tool
    for tool in (
        recommend_tracks,
        explain_track,
        create_playlist,
        add_to_playlist,
        remove_from_playlist,
        list_playlists,
        top_tracks,
        top_artists,
        recently_played,
        set_preference,
        give_feedback,
    )
}


def call_tool(state: TurnState, name: str, arguments: dict) -> ToolResult:
    """Run one tool by name with JSON arguments; whatever goes wrong comes back as a clear result.

    Arguments are checked against the signature first (types, list sizes, choices), since an
    LLM's are untrusted; a failure inside a tool is logged and reported, never raised at the turn.
    """
    tool = TOOLS.get(name)
    if tool is None:
        return ToolResult(False, f"There is no tool called {name}.", {"error": "unknown_tool"})
    try:
        checked = arguments_checked(tool, arguments)
    except BadArguments as exc:
        return ToolResult(False, f"{name} was called wrongly: {exc}.", {"error": "arguments"})
    state.tools_called.append(name)
    try:
        result = tool(state, **checked)
    except TypeError as exc:
        result = ToolResult(False, f"{name} was called wrongly: {exc}", {"error": "arguments"})
    except LookupUnavailable as exc:
        result = ToolResult(False, exc.message, {"error": "spotify"})
    except Exception:
        logger.exception("tool %s failed for user %s", name, state.user.pk)
        result = ToolResult(
            False,
            "Something went wrong on our side with that; nothing more was changed.",
            {"error": "internal"},
        )
    state.summaries.append(result.summary)
    return result


def tool_schemas() -> list[dict]:
    """OpenAI ``tools`` entries for every tool."""
    return [function_schema(tool) for tool in TOOLS.values()]
