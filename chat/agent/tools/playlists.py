"""Tools for the listener's own Spotify playlists: create, add to, remove from, list.

Only playlists the listener owns are ever found or touched; edits never guess "the whole list"
for a removal, and a removal claims only the tracks that were in the playlist.
"""

from __future__ import annotations

from pydantic import Field

from catalog.grounding import NAME_MATCH, name_similarity
from catalog.models import Playlist
from chat.cards import TrackCard
from chat.events import PlaylistActionEvent, PlaylistShown
from recommender import services as recommender_services
from spotify import services as spotify_services
from spotify.errors import SpotifyError, said_to_listener
from spotify.services import PlaylistItemsNotAdded

from .arguments import Names, Positions, Text, ToolArguments
from .state import ToolResult, TurnState
from .tracks import at_positions, grounded, split_name, track_card

PLAYLIST_DESCRIPTION = "The playlist's name; empty means the playlist made or edited last in this chat."
TRACKS_DESCRIPTION = 'Tracks named as "Title by Artist", used instead of positions.'


class CreatePlaylistArgs(ToolArguments):
    """Create a new playlist on the listener's Spotify with tracks from the latest list or named tracks."""

    name: Text = Field(description="The playlist's name.")
    positions: Positions | None = Field(
        None, description="Positions (1-based) in the latest list; empty means the whole list."
    )
    tracks: Names | None = Field(None, description=TRACKS_DESCRIPTION)


def create_playlist(state: TurnState, args: CreatePlaylistArgs) -> ToolResult:
    """Saved tracks count as "saved" feedback; a playlist created empty because adding failed is
    still the playlist in play, so the listener can retry adding to it."""
    cards, missing = grounded(state, args.tracks) if args.tracks else ([], [])
    if not args.tracks:
        cards, error = at_positions(state, args.positions)
        if error:
            return ToolResult(False, error, {"error": "position"})
    if not cards:
        return ToolResult(
            False, f"I couldn't find {', '.join(missing)}, so I made no playlist.", {"missing": missing}
        )
    try:
        playlist = spotify_services.playlist_create_with_tracks(
            user=state.user, name=args.name, track_spotify_ids=[card.spotify_id for card in cards]
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
        if card.track_id:
            recommender_services.feedback_record(
                user=state.user, track_id=card.track_id, kind="saved", served_item_id=card.served_item_id
            )
    state.playlist = _in_play(playlist)
    state.actions.append(
        PlaylistActionEvent(
            action="playlist_created",
            text=f"Saved {len(cards)} tracks to “{playlist.name}” on your Spotify.",
            playlist=PlaylistShown(spotify_id=playlist.spotify_id, name=playlist.name),
        )
    )
    summary = f"Created “{playlist.name}” on your Spotify with {len(cards)} tracks"
    summary += f"; I couldn't find {', '.join(missing)}." if missing else "."
    return ToolResult(True, summary, {"playlist": playlist.name, "added": len(cards), "missing": missing})


class AddToPlaylistArgs(ToolArguments):
    """Add tracks (from the latest list, or named) to one of the listener's own playlists."""

    playlist: Text | None = Field(None, description=PLAYLIST_DESCRIPTION)
    positions: Positions | None = Field(
        None, description="Positions (1-based, -1 = last) in the latest list; empty means the whole list."
    )
    tracks: Names | None = Field(None, description=TRACKS_DESCRIPTION)


def add_to_playlist(state: TurnState, args: AddToPlaylistArgs) -> ToolResult:
    return _edit_playlist(state, args.playlist, args.positions, args.tracks, adding=True)


class RemoveFromPlaylistArgs(ToolArguments):
    """Remove tracks from one of the listener's own playlists."""

    playlist: Text | None = Field(None, description=PLAYLIST_DESCRIPTION)
    positions: Positions | None = Field(
        None, description="Positions (1-based, -1 = last) in the latest list shown."
    )
    tracks: Names | None = Field(None, description=TRACKS_DESCRIPTION)


def remove_from_playlist(state: TurnState, args: RemoveFromPlaylistArgs) -> ToolResult:
    """Asks which track rather than emptying the playlist when none is named."""
    if not args.positions and not args.tracks:
        return ToolResult(
            False, "Which track should I remove? Say e.g. “remove the third one”.", {"error": "ask"}
        )
    return _edit_playlist(state, args.playlist, args.positions, args.tracks, adding=False)


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
        cards, missing = grounded(state, tracks)
    else:
        cards, error = at_positions(state, positions)
        if error:
            return ToolResult(False, error, {"error": "position"})
    if not adding:
        inside = set(target.items.values_list("track__spotify_id", flat=True))
        missing += [card.described for card in cards if card.spotify_id not in inside]
        cards = [card for card in cards if card.spotify_id in inside]
        if not cards:
            return ToolResult(False, f"{', '.join(missing)}: not in “{target.name}”.", {"missing": missing})
    if not cards:
        return ToolResult(
            False, f"I couldn't find {', '.join(missing) or 'those tracks'}.", {"missing": missing}
        )
    edit = spotify_services.playlist_add_tracks if adding else spotify_services.playlist_remove_tracks
    try:
        edit(user=state.user, playlist_id=target.pk, track_spotify_ids=[card.spotify_id for card in cards])
    except (SpotifyError, ValueError) as exc:
        return _spotify_failure(exc)
    state.playlist = _in_play(target)
    names = ", ".join(card.described for card in cards)
    verb, preposition = ("Added", "to") if adding else ("Removed", "from")
    text = f"{verb} {names} {preposition} “{target.name}”."
    state.actions.append(
        PlaylistActionEvent(
            action="playlist_tracks_added" if adding else "playlist_tracks_removed",
            text=text,
            playlist=PlaylistShown(spotify_id=target.spotify_id, name=target.name),
        )
    )
    if missing:
        text += f" Not done for {', '.join(missing)}: {'not found' if adding else 'not in that playlist'}."
    return ToolResult(
        True, text, {"playlist": target.name, "tracks": [c.described for c in cards], "missing": missing}
    )


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


def _in_playlist(playlist: Playlist, names: list[str]) -> tuple[list[TrackCard], list[str]]:
    """Tracks of this playlist matching "Title" / "Title by Artist"; the names that match none of them."""
    items = [item.track for item in playlist.items.select_related("track", "track__album")]
    cards, missing = [], []
    for name in names:
        title, artist, _ = split_name(name)
        found = [
            track
            for track in items
            if name_similarity(track.name, title) >= NAME_MATCH
            and (
                not artist or any(name_similarity(a.name, artist) >= NAME_MATCH for a in track.artists.all())
            )
        ]
        (cards.append(track_card(found[0], kind="named")) if found else missing.append(name))
    return cards, missing


def _in_play(playlist: Playlist) -> dict:
    return {"id": playlist.pk, "spotify_id": playlist.spotify_id, "name": playlist.name}


def _spotify_failure(exc: Exception) -> ToolResult:
    if isinstance(exc, SpotifyError):
        return ToolResult(False, said_to_listener(exc), {"error": "spotify"})
    return ToolResult(False, str(exc), {"error": "invalid"})


class ListPlaylistsArgs(ToolArguments):
    """List the listener's own playlists (as last synced from Spotify)."""


def list_playlists(state: TurnState, args: ListPlaylistsArgs) -> ToolResult:
    rows = list(
        Playlist.objects.filter(owner=state.user).order_by("name").values_list("name", flat=True)[:50]
    )
    if not rows:
        return ToolResult(
            True, "You have no playlists of your own yet (or Spotify hasn't synced them).", {"playlists": []}
        )
    return ToolResult(True, f"Your playlists: {', '.join(rows)}.", {"playlists": rows})
