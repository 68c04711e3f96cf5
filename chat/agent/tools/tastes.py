"""Tools for what the listener likes and wants no more of: standing preferences and track feedback."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from chat.cards import FeedbackKind
from recommender import services as recommender_services
from recommender import tastes
from recommender.models import TastePreference

from .arguments import Flag, Text, ToolArguments, WholeNumber
from .state import ToolResult, TurnState
from .tracks import at_positions


class SetPreferenceArgs(ToolArguments):
    """Remember something the listener likes or wants no more of; later recommendations follow it."""

    kind: Literal["artist", "genre", "mood", "constraint"] = Field(
        description="artist, genre, mood, or constraint (constraints: no_explicit, short_tracks)."
    )
    value: Text = Field(description="The artist name, genre, mood (e.g. sadness, calm) or constraint name.")
    liked: Flag = Field(
        description='true for "more of this" (or "apply this constraint"), false for "no more of this".'
    )


def set_preference(state: TurnState, args: SetPreferenceArgs) -> ToolResult:
    """Grounding (is that artist real? which mood is "chill"?) is the recommender's, in taste_remember."""
    outcome = tastes.taste_remember(
        user=state.user, kind=args.kind, value=args.value, liked=args.liked, source="chat"
    )
    return ToolResult(outcome.ok, outcome.message, outcome.data)


class GiveFeedbackArgs(ToolArguments):
    """Record the listener's reaction to a track in the latest list; dislikes are never played again."""

    position: WholeNumber = Field(description="Position (1-based, -1 = last) in the latest list.")
    kind: FeedbackKind = Field(description="like, dislike or skip.")


def give_feedback(state: TurnState, args: GiveFeedbackArgs) -> ToolResult:
    """A dislike also becomes a standing "no more of this track", so it holds beyond the served list."""
    picked, error = at_positions(state, [args.position])
    if error:
        return ToolResult(False, error, {"error": "position"})
    track = picked[0]
    if not track.track_id:
        return ToolResult(False, "Feedback can be like, dislike or skip.", {"error": "invalid"})
    recommender_services.feedback_record(
        user=state.user, track_id=track.track_id, kind=args.kind, served_item_id=track.served_item_id
    )
    if args.kind == "dislike":
        tastes.taste_set(
            user=state.user,
            kind=TastePreference.Kind.TRACK,
            value=track.spotify_id,
            label=track.described,
            liked=False,
            source="feedback",
        )
    words = {"like": "Noted — more like", "dislike": "Got it — no more", "skip": "Skipped"}[args.kind]
    return ToolResult(True, f"{words} {track.described}.", {"track": track.described, "kind": args.kind})
