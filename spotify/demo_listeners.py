"""The demo listeners' Spotify libraries (``demo/listeners.json``), loaded without the OAuth dance.

For offline evaluation (``seed_demo --with-listeners``); the demo itself signs them in
through the emulator. Rows are rewritten only where they differ from the file; nothing else
is touched. The catalog must be loaded first (``catalog.demo``).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.db import models, transaction

from accounts.models import User
from catalog.demo_files import listeners_file_read
from catalog.models import Artist, Track
from catalog.services import owned_playlist_save
from spotify.models import FollowedArtist, Play, TopArtist, TopTrack

DEMO_PASSWORD = "listen-to-the-demo"


class DemoDataError(RuntimeError):
    """The listeners file names tracks or artists the database does not hold."""


@dataclass
class ListenerLoad:
    email: str
    display_name: str
    created: bool
    changed: list[str] = field(default_factory=list)  # what was rewritten, e.g. "plays"


@dataclass
class DemoListenersResult:
    listeners: list[ListenerLoad]

    @property
    def changed(self) -> bool:
        return any(listener.created or listener.changed for listener in self.listeners)

    def summary(self) -> str:
        created = sum(listener.created for listener in self.listeners)
        updated = sum(bool(listener.changed) and not listener.created for listener in self.listeners)
        return f"demo listeners: {len(self.listeners)} ({created} created, {updated} updated)"


def demo_listeners_load(*, path: Path | None = None) -> DemoListenersResult:
    """Create or update the demo users and make their library rows equal to the file's.

    Needs the demo catalog loaded first (raises DemoDataError otherwise). Users keep their
    primary key, so sessions and chats survive a reload.
    """
    document = listeners_file_read(path or Path(settings.DEMO_DATA_DIR) / "listeners.json")
    listeners = document["listeners"]
    track_pks = _pks(Track, (i for lis in listeners for i in _listener_track_ids(lis)))
    artist_pks = _pks(Artist, (i for lis in listeners for i in _listener_artist_ids(lis)))
    with transaction.atomic():
        return DemoListenersResult([_listener_load(lis, track_pks, artist_pks) for lis in listeners])


def _listener_track_ids(listener: Mapping[str, Any]) -> Iterable[str]:
    for ids in listener["top_tracks"].values():
        yield from ids
    for play in listener["recently_played"]:
        yield play["track_id"]
    for playlist in listener["playlists"]:
        yield from playlist["track_ids"]


def _listener_artist_ids(listener: Mapping[str, Any]) -> Iterable[str]:
    for ids in listener["top_artists"].values():
        yield from ids
    yield from listener["followed_artists"]


def _pks(model: type[models.Model], spotify_ids: Iterable[str]) -> dict[str, int]:
    wanted = set(spotify_ids)
    found = dict(model._default_manager.filter(spotify_id__in=wanted).values_list("spotify_id", "pk"))
    missing = wanted - found.keys()
    if missing:
        raise DemoDataError(
            f"{len(missing)} {model._meta.verbose_name_plural} of the demo listeners are not in the "
            f"database (e.g. {sorted(missing)[0]}); load the demo catalog first"
        )
    return found


def _listener_load(
    listener: Mapping[str, Any], tracks: Mapping[str, int], artists: Mapping[str, int]
) -> ListenerLoad:
    user, created, updated = _demo_user(listener["email"], listener["display_name"])
    load = ListenerLoad(email=user.email, display_name=user.display_name, created=created)
    if updated:
        load.changed.append("account")
    tops = [
        (r, rank, tracks[i]) for r, ids in listener["top_tracks"].items() for rank, i in enumerate(ids, 1)
    ]
    if _user_rows_sync(TopTrack, user, ("time_range", "rank", "track_id"), tops):
        load.changed.append("top tracks")
    tops = [
        (r, rank, artists[i]) for r, ids in listener["top_artists"].items() for rank, i in enumerate(ids, 1)
    ]
    if _user_rows_sync(TopArtist, user, ("time_range", "rank", "artist_id"), tops):
        load.changed.append("top artists")
    plays = [
        (datetime.fromisoformat(p["played_at"]), tracks[p["track_id"]]) for p in listener["recently_played"]
    ]
    if _user_rows_sync(Play, user, ("played_at", "track_id"), plays):
        load.changed.append("plays")
    followed = [(artists[i],) for i in listener["followed_artists"]]
    if _user_rows_sync(FollowedArtist, user, ("artist_id",), followed):
        load.changed.append("followed artists")
    if _own_playlists_sync(user, listener["playlists"], tracks):
        load.changed.append("playlists")
    return load


def _demo_user(email: str, display_name: str) -> tuple[User, bool, bool]:
    """(user, created, updated)."""
    user = User.objects.filter(email=email).first()
    if user is None:
        validate_password(DEMO_PASSWORD, User(email=email, display_name=display_name))
        return User.objects.create_user(email, DEMO_PASSWORD, display_name=display_name), True, False
    # The printed demo login must keep working, so a changed password is set back.
    if user.display_name == display_name and user.check_password(DEMO_PASSWORD):
        return user, False, False
    user.display_name = display_name
    user.set_password(DEMO_PASSWORD)
    user.save(update_fields=["display_name", "password"])
    return user, False, True


def _user_rows_sync(
    model: type[models.Model], user: User, fields: Sequence[str], desired: Sequence[tuple[Any, ...]]
) -> bool:
    """Make the user's rows of ``model`` equal ``desired``; returns whether anything changed."""
    current = sorted(model._default_manager.filter(user=user).values_list(*fields))
    if current == sorted(desired):
        return False
    model._default_manager.filter(user=user).delete()
    model._default_manager.bulk_create(
        model(user=user, **dict(zip(fields, row, strict=True))) for row in desired
    )
    return True


def _own_playlists_sync(
    user: User, playlists: Sequence[Mapping[str, Any]], tracks: Mapping[str, int]
) -> bool:
    """Mirror the listener's playlists from the file; playlists they made in the app stay."""
    changed = False
    for playlist in playlists:
        _, saved = owned_playlist_save(
            owner=user,
            spotify_id=playlist["id"],
            name=playlist["name"],
            description=playlist["description"],
            track_pks=[tracks[i] for i in playlist["track_ids"]],
        )
        changed = saved or changed
    return changed
