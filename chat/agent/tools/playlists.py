"""Tools for the listener's own Spotify playlists: create, add to, remove from, list.

Only playlists the listener owns are ever found or touched; edits never guess "the whole list"
for a removal, and a removal claims only the tracks that were in the playlist.
"""

from __future__ import annotations

import uuid

from pydantic import Field

from catalog.grounding import NAME_MATCH, name_similarity
from catalog.models import Playlist
from catalog.services import playlist_items_append, playlist_items_remove
from chat.cards import TrackCard
from chat.events import PlaylistActionEvent, PlaylistShown
from recommender import services as recommender_services
from spotify import playlist_writes
from spotify.errors import SpotifyError, said_to_listener
from spotify.playlist_writes import PlaylistWriteUncertain, UndoError
from spotify.services import PlaylistItemsNotAdded

from ..playlist_names import choose_playlist, which_question
from .arguments import Names, Positions, Text, ToolArguments
from .state import ToolResult, TurnState
from .tracks import at_positions, grounded, split_name, track_card

PLAYLIST_DESCRIPTION = (
    'The playlist\'s name as the listener said it (partial names and typos are fine); "it" when they '
    "said it/that playlist. Leave it empty when they named none: the playlist made or edited last in "
    "this chat is used if there is one, else the listener is asked which. A name that matches none of "
    "their playlists is never replaced by another: they are asked."
)
IN_PLAY_WORDS = {"it", "that", "this", "that playlist", "this playlist", "the playlist", "same"}
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
    track_ids = [card.spotify_id for card in cards]
    if state.dry_run:
        return _dry_write(state, "create", args.name, cards)
    try:
        playlist, write = playlist_writes.playlist_create_logged(
            user=state.user, name=args.name, track_spotify_ids=track_ids
        )
    except PlaylistWriteUncertain as exc:
        return ToolResult(False, exc.message, {"error": "uncertain", "playlist": exc.write.name})
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
            write_id=write.pk,
            in_reply=True,
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
    target, question = _playlist_meant(state, name)
    if target is None:
        return ToolResult(False, question, {"error": "ask", "asked": "playlist"})
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
    if state.dry_run:
        return _dry_write(state, "add" if adding else "remove", target, cards)
    edit = playlist_writes.playlist_add_logged if adding else playlist_writes.playlist_remove_logged
    try:
        done = edit(user=state.user, playlist=target, track_spotify_ids=[card.spotify_id for card in cards])
    except (SpotifyError, ValueError) as exc:
        return _spotify_failure(exc)
    state.playlist = _in_play(target)
    already = [card.described for card in cards if card.spotify_id in done.unchanged]
    cards = [card for card in cards if card.spotify_id in done.changed]
    if not cards:
        return ToolResult(
            True,
            f"{', '.join(already)} {'is' if len(already) == 1 else 'are'} already in “{target.name}” "
            "— nothing to add.",
            {"playlist": target.name, "tracks": [], "already": already},
        )
    names = ", ".join(card.described for card in cards)
    verb, preposition = ("Added", "to") if adding else ("Removed", "from")
    text = f"{verb} {names} {preposition} “{target.name}”."
    state.actions.append(
        PlaylistActionEvent(
            action="playlist_tracks_added" if adding else "playlist_tracks_removed",
            text=text,
            playlist=PlaylistShown(spotify_id=target.spotify_id, name=target.name),
            write_id=done.write.pk if done.write else None,
            in_reply=True,
        )
    )
    if already:
        text += f" {', '.join(already)} {'was' if len(already) == 1 else 'were'} already there."
    if missing:
        text += f" Not done for {', '.join(missing)}: {'not found' if adding else 'not in that playlist'}."
    return ToolResult(
        True, text, {"playlist": target.name, "tracks": [c.described for c in cards], "missing": missing}
    )


def _playlist_meant(state: TurnState, name: str | None) -> tuple[Playlist | None, str]:
    """The listener's playlist this name means, or (None, the question to ask).

    "it" is the playlist in play in this chat; no name at all is never guessed.
    """
    mine = list(Playlist.objects.filter(owner=state.user).order_by("-id")[:500])
    said = (name or "").strip()
    in_play = next((p for p in mine if state.playlist and p.pk == state.playlist.get("id")), None)
    if said.lower() in IN_PLAY_WORDS:
        if in_play is not None:
            return in_play, ""
        said = ""
    if not said and in_play is not None:
        return in_play, ""  # no name at all, right after working on one: that one (the reply names it)
    if not said:
        first = [in_play] if in_play else []
        choice = choose_playlist("", [*first, *(p for p in mine if p is not in_play)])
        return None, which_question(None, choice)
    choice = choose_playlist(said, mine)
    if choice.found is not None:
        return choice.found, ""
    return None, which_question(said, choice)


def _dry_write(state: TurnState, action: str, playlist: str | Playlist, cards: list[TrackCard]) -> ToolResult:
    """Evaluation mode: the write is recorded, not sent (and said as if done).

    Evaluation runs in a transaction that is rolled back, so the mirror is changed as a real write
    would change it: later turns of the dialogue find the new playlist and its tracks.
    """
    name = playlist if isinstance(playlist, str) else playlist.name
    state.writes.append({"action": action, "playlist": name, "tracks": [c.described for c in cards]})
    ids = [card.spotify_id for card in cards]
    if isinstance(playlist, str):
        playlist = Playlist.objects.create(
            owner=state.user, spotify_id=f"dryrun-{uuid.uuid4().hex}", name=name
        )
    if action in ("create", "add"):
        playlist_items_append(playlist=playlist, track_spotify_ids=ids, snapshot_id=None)
    else:
        playlist_items_remove(playlist=playlist, track_spotify_ids=ids, snapshot_id=None)
    state.playlist = _in_play(playlist)
    verbs = {"create": "Would create", "add": "Would add to", "remove": "Would remove from"}
    return ToolResult(True, f"{verbs[action]} “{name}” ({len(cards)} tracks, dry run).", {"dry_run": True})


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


class UndoLastChangeArgs(ToolArguments):
    """Undo the listener's latest playlist change made here (create, add or remove), within 30 minutes."""


def undo_last_change(state: TurnState, args: UndoLastChangeArgs) -> ToolResult:
    write = playlist_writes.undoable_write(user=state.user)
    if state.dry_run:
        state.writes.append({"action": "undo", "playlist": write.name if write else "", "tracks": []})
        return ToolResult(True, "Would undo the last change (dry run).", {"dry_run": True})
    try:
        said = playlist_writes.write_undo(user=state.user)
    except UndoError as exc:
        return ToolResult(False, exc.message, {"error": "nothing"})
    except SpotifyError as exc:
        return _spotify_failure(exc)
    if write is not None and write.action != "created" and write.playlist is not None:
        state.playlist = _in_play(write.playlist)
    return ToolResult(True, said, {"undone": write.action if write else ""})


def list_playlists(state: TurnState, args: ListPlaylistsArgs) -> ToolResult:
    rows = list(
        Playlist.objects.filter(owner=state.user).order_by("name").values_list("name", flat=True)[:50]
    )
    if not rows:
        return ToolResult(
            True, "You have no playlists of your own yet (or Spotify hasn't synced them).", {"playlists": []}
        )
    return ToolResult(True, f"Your playlists: {', '.join(rows)}.", {"playlists": rows})
