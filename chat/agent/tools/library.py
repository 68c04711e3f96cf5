"""Tools that read the listener's Spotify history as last synced: top tracks and artists, recent plays.

They read the synced tables, never Spotify itself, so they answer at once and cost no rate limit.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from chat.cards import TrackCard
from spotify.models import Play, TimeRange, TopArtist, TopTrack

from .arguments import Count, ToolArguments
from .state import ToolResult, TurnState
from .tracks import track_card

TimeRangeName = Literal["short_term", "medium_term", "long_term"]
TIME_RANGE_DESCRIPTION = "short_term (4 weeks), medium_term (6 months) or long_term (all time)."
LIMIT_DESCRIPTION = "How many (1-20)."


class TopTracksArgs(ToolArguments):
    """Show the listener's most played tracks on Spotify."""

    time_range: TimeRangeName = Field("medium_term", description=TIME_RANGE_DESCRIPTION)
    limit: Count = Field(10, description=LIMIT_DESCRIPTION)


def top_tracks(state: TurnState, args: TopTracksArgs) -> ToolResult:
    rows = TopTrack.objects.filter(user=state.user, time_range=args.time_range).select_related(
        "track", "track__album"
    )
    cards = [
        track_card(row.track, kind="history", reason=f"your #{row.rank}")
        for row in rows.order_by("rank")[: args.limit]
    ]
    return _shown_list(state, cards, f"your top tracks ({TimeRange(args.time_range).label.lower()})")


class RecentlyPlayedArgs(ToolArguments):
    """Show what the listener played recently on Spotify."""

    limit: Count = Field(10, description=LIMIT_DESCRIPTION)


def recently_played(state: TurnState, args: RecentlyPlayedArgs) -> ToolResult:
    rows = Play.objects.filter(user=state.user).select_related("track", "track__album").order_by("-played_at")
    cards = [
        track_card(play.track, kind="history", reason=f"played {play.played_at:%a %H:%M}")
        for play in rows[: args.limit]
    ]
    return _shown_list(state, cards, "what you played lately")


def _shown_list(state: TurnState, cards: list[TrackCard], what: str) -> ToolResult:
    """Put the listener's history on screen: positions now refer to it, but it is not a list of picks."""
    if not cards:
        return ToolResult(
            False,
            f"I don't have {what} yet — connect Spotify on the Library page and let it sync.",
            {"tracks": []},
        )
    state.new_tracks = cards
    state.shown = cards
    names = "; ".join(f"{i + 1}. {card.described}" for i, card in enumerate(cards[:5]))
    more = f" (and {len(cards) - 5} more)" if len(cards) > 5 else ""
    return ToolResult(True, f"Here's {what}: {names}{more}.", {"tracks": [c.described for c in cards]})


class TopArtistsArgs(ToolArguments):
    """Name the listener's most played artists on Spotify."""

    time_range: TimeRangeName = Field("medium_term", description=TIME_RANGE_DESCRIPTION)
    limit: Count = Field(10, description=LIMIT_DESCRIPTION)


def top_artists(state: TurnState, args: TopArtistsArgs) -> ToolResult:
    names = list(
        TopArtist.objects.filter(user=state.user, time_range=args.time_range)
        .order_by("rank")
        .values_list("artist__name", flat=True)[: args.limit]
    )
    if not names:
        return ToolResult(
            False, "I don't have your top artists yet — connect Spotify on the Library page.", {"artists": []}
        )
    label = TimeRange(args.time_range).label.lower()
    return ToolResult(True, f"Your top artists ({label}): {', '.join(names)}.", {"artists": names})
