"""Tools that pick music and say why: ``recommend_tracks`` and ``explain_track``."""

from __future__ import annotations

import logging
import re
from typing import Annotated

from pydantic import BeforeValidator, Field

from catalog.explicit import UNKNOWN_NOTE
from catalog.models import Track
from chat.cards import NAMED_REASON, TrackCard, from_history
from mood.labels import LABEL_COORDINATES, Mood, mood_named
from mood.perception import EmotionEstimate
from mood.target import ListeningTarget, listening_target
from recommender import services as recommender_services
from recommender import tastes
from recommender.explain import spoken_reason
from recommender.listener_state import listener_state_get
from spotify.lookup import artist_resolve
from spotify.models import SpotifyLink

from .arguments import Count, Names, Positions, Text, ToolArguments, WholeNumber
from .state import ToolResult, TurnState
from .tracks import at_positions, explicit_sorted, grounded, split_name

logger = logging.getLogger(__name__)


def _mood_word(value: object) -> object:
    """A model's word for a mood ("Happy", "chill") is taken as the mood it means; "" as none."""
    if isinstance(value, str):
        value = value.strip()
        return mood_named(value) or value or None
    return value


class RecommendTracksArgs(ToolArguments):
    """Recommend tracks for the listener and show them as cards."""

    mood: Annotated[Mood | None, BeforeValidator(_mood_word)] = Field(
        None, description="Target mood. Leave empty to use the mood perceived from the conversation."
    )
    count: Count = Field(8, description="How many tracks (1-20).")
    genres: Names | None = Field(
        None, description='Genres to keep to, e.g. ["jazz"], if the listener asked for some.'
    )
    artists: Names | None = Field(
        None, description="Artist names to keep to, if the listener asked for some."
    )
    like_positions: Positions | None = Field(
        None,
        description="Positions (1-based, -1 = last) in the latest list to sound like "
        '("more like the second one").',
    )
    like_tracks: Names | None = Field(
        None,
        description='Tracks named as "Title by Artist" (optionally with its length, "(3:45)") to start from '
        "and sound like; each is looked up, never assumed to exist.",
    )
    request: Text = Field("", description="The listener's words about what they want, used to match tracks.")


def recommend_tracks(state: TurnState, args: RecommendTracksArgs) -> ToolResult:
    """Named tracks come first, then picks that sound like them (or like the positions given);
    standing tastes (liked moods, avoided moods, no explicit, short tracks) shape every list."""
    request = args.request or state.text
    seeds, error = at_positions(state, args.like_positions) if args.like_positions else ([], None)
    if error:
        return ToolResult(False, error, {"error": "position"})
    named, missing_tracks = grounded(state, args.like_tracks)
    seeds = seeds + named
    listener = listener_state_get(user=state.user)  # read once: the rules and the ranking share it
    constraints = tastes.taste_constraints(user=state.user, state=listener)
    withheld: list[TrackCard] = []
    unsure: list[TrackCard] = []
    if constraints.no_explicit and named:
        # Still sounded like, never played; an unknown one plays, saying it may not be clean.
        named, withheld, unsure = explicit_sorted(named)
    mood: str | None = args.mood
    if not mood and not seeds and state.mood.label == "neutral" and constraints.liked_moods:
        # Nothing to go on this turn: lean toward a mood the listener said they like.
        mood = sorted(constraints.liked_moods)[0]
    target = _target(state, mood, request)
    strategy = target.strategy
    if strategy is None and target.label in constraints.avoided_moods:
        strategy = "lift"
    artist_ids: list[int] = []
    unknown: list[str] = []
    for name in args.artists or []:
        artist = artist_resolve(name, user=state.user)
        (artist_ids.append(artist.pk) if artist else unknown.append(name))
    # A named track we can't find: its artist's tracks stand in for it, if we know the artist.
    standing_in: list[str] = []
    for name in missing_tracks:
        artist = artist_resolve(split_name(name)[1], user=state.user) if split_name(name)[1] else None
        if artist is not None and artist.pk not in artist_ids:
            artist_ids.append(artist.pk)
            standing_in.append(artist.name)
    if missing_tracks and not seeds and not artist_ids and not args.genres and not args.artists:
        # Nothing of what they named is here: say so and how to fix it, rather than play a random mix.
        return ToolResult(
            False, _not_found(state, missing_tracks), {"error": "not_found", "missing": missing_tracks}
        )
    focus = recommender_services.Focus(
        genres=tuple(g.lower() for g in args.genres or ()),
        artist_ids=tuple(artist_ids),
        seed_track_ids=tuple(t.track_id for t in seeds if t.track_id),
        max_duration_ms=tastes.SHORT_TRACK_MS if constraints.short_tracks else None,
    )
    try:
        picks = recommender_services.recommend_tracks(
            user=state.user,
            label=target.label,
            valence=target.valence,
            arousal=target.arousal,
            text=request,
            count=args.count,
            strategy=strategy,
            allow_explicit=False if constraints.no_explicit else None,
            focus=focus,
            avoid_moods=constraints.avoided_moods,
            state=listener,
        )
    except Exception:
        logger.exception("recommendation failed for user %s", state.user.pk)
        return ToolResult(
            False, "I couldn't pick tracks just now — please try again in a moment.", {"error": "internal"}
        )
    cards = [
        card.model_copy(
            update={"reason": f"{NAMED_REASON} ({UNKNOWN_NOTE})" if card in unsure else NAMED_REASON}
        )
        for card in named
    ]
    cards += [TrackCard.from_pick(pick) for pick in picks]
    cards = cards[: max(args.count, len(named))]
    state.new_tracks = cards
    state.shown = cards
    state.picked = cards
    matched = _focus_matched(cards, focus)
    data = {
        "target": {"label": target.label, "valence": target.valence, "arousal": target.arousal},
        "tracks": [
            {"position": i + 1, "name": c.name, "artists": c.artists, "genre": c.genre}
            for i, c in enumerate(cards)
        ],
        "lifted": bool(cards and cards[0].lifted),
        "unknown_artists": unknown,
        "focus_matched": matched,
        "like": [t.described for t in seeds],
        "explicit_withheld": [t.described for t in withheld],
        "explicitness_unknown": [t.described for t in unsure],
    }
    refused = _explicit_refusal(withheld)
    if not cards:
        return ToolResult(
            False, refused or "I couldn't find tracks for that yet — the catalog may still be loading.", data
        )
    summary = f"Here are {len(cards)} tracks"
    if named:
        summary = (
            f"Here's {', '.join(t.described for t in named)}, and {len(cards) - len(named)} more like it"
        )
    elif withheld:
        summary = (
            f"{refused} Here are {len(cards)} tracks that sound like {'it' if len(withheld) == 1 else 'them'}"
        )
    elif seeds:
        summary += f" that sound like {', '.join(t.described for t in seeds)}"
    if withheld and named:
        summary += f"; {refused[:-1]}"
    if unsure:
        summary += (
            f"; I can't tell whether {', '.join(t.described for t in unsure)} "
            f"{'is' if len(unsure) == 1 else 'are'} explicit — nobody has flagged it either way"
        )
    if missing_tracks:
        summary += f"; I couldn't find {', '.join(missing_tracks)} {_where_looked(state)}"
    if unknown:
        summary += f"; I couldn't find {', '.join(unknown)} in the catalog or on Spotify"
    if standing_in and matched:
        summary += f", so here's more by {', '.join(standing_in)}"
    if focus.narrows and not matched:
        asked = [
            *(args.genres or []),
            *[name for name in args.artists or [] if name not in unknown],
            *standing_in,
        ]
        summary += f"; nothing matched {', '.join(asked)}, so these are the closest in mood"
    return ToolResult(True, summary + ".", data)


def _where_looked(state: TurnState) -> str:
    if SpotifyLink.objects.filter(user=state.user).exists():
        return "in the catalog or on Spotify"
    return "in our catalog (Spotify isn't connected, so I couldn't search there)"


def _not_found(state: TurnState, names: list[str]) -> str:
    said = ", ".join(f"“{name}”" for name in names)
    if SpotifyLink.objects.filter(user=state.user).exists():
        return (
            f"I couldn't find {said} in our catalog or on Spotify. Check the spelling, or name another track."
        )
    return (
        f"{said} isn't in our catalog, and without Spotify connected I can't search for it there. "
        "Connect Spotify on the Library page, or name another track or artist."
    )


def _explicit_refusal(withheld: list[TrackCard]) -> str:
    """The sentence that says why a named track was not played; "" when none was held back."""
    if not withheld:
        return ""
    one = len(withheld) == 1
    return (
        f"{', '.join(t.described for t in withheld)} {'is' if one else 'are'} explicit, and you asked for "
        f"nothing explicit, so I left {'it' if one else 'them'} out."
    )


def _target(state: TurnState, mood: str | None, request: str) -> ListeningTarget:
    if mood in LABEL_COORDINATES and mood != state.mood.label:
        valence, arousal = LABEL_COORDINATES[mood]
        return listening_target(EmotionEstimate(mood, valence, arousal, 0.9), request)
    if mood == "calm":
        return listening_target(state.mood, f"{request} calm")
    if mood == "energize":
        return listening_target(state.mood, f"{request} energetic")
    return listening_target(state.mood, request)


def _focus_matched(cards: list[TrackCard], focus: recommender_services.Focus) -> bool:
    if not focus.narrows:
        return True
    genres = set(focus.genres)
    ids = set(focus.artist_ids)
    if not cards:
        return False
    track_ids = [c.track_id for c in cards]
    artist_hits = set(
        Track.objects.filter(pk__in=track_ids, artist_links__artist_id__in=ids).values_list("pk", flat=True)
    )
    return any(c.genre.lower() in genres or c.track_id in artist_hits for c in cards) or bool(
        Track.objects.filter(pk__in=track_ids, subgenre__in=genres).exists()
    )


_WHOLE_LIST = re.compile(r"\b(these|them|this list|those|the list|all of)\b", re.I)


class ExplainTrackArgs(ToolArguments):
    """Explain why a track in the latest list was picked (or the whole list when no position is given)."""

    position: WholeNumber | None = Field(
        None, description="Position (1-based, -1 = last) in the latest list."
    )


def explain_track(state: TurnState, args: ExplainTrackArgs) -> ToolResult:
    """When the list on screen is the listener's own history, the agent's last picks are explained
    instead, and the reply says so: "why did you pick that?" is about picks."""
    note = ""
    if from_history(state.shown) and state.picked:
        note = "That list is your own Spotify history, not my picks. About my last picks: "
        state = TurnState(state.user, state.conversation, state.text, state.mood, shown=state.picked)
    position = args.position
    if not position and state.shown and not _WHOLE_LIST.search(state.text):
        # "why did you pick that?" after a list: the track in question is the first one, unless
        # they name another; a question about the whole list says so ("why these?").
        position = 1
    picked, error = at_positions(state, [position] if position else None)
    if error:
        return ToolResult(False, error, {"error": "position"})
    if position:
        track = picked[0]
        if not track.reason and not track.parts:
            summary = f"{note}{track.described} is from your own listening, not one of my picks."
        else:
            summary = note + spoken_reason(
                described=track.described, reason=track.reason, mood=track.mood, parts=track.parts
            )
        return ToolResult(True, summary, {"track": track.described, "reason": track.reason})
    summary = (
        f"{note}I matched these to the mood I read from you and to what you play; "
        "ask about one (“why the second one?”) for its reasons."
    )
    return ToolResult(True, summary, {"tracks": len(picked)})
