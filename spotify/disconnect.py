"""Disconnect Spotify: forget the account's tokens and everything its syncs brought in.

What the listener imported from a data download stays (it is theirs, not the account's), as do
their chats, moods, tastes and votes. A listener who can only log in with Spotify is asked to set a
password first: removing the link would otherwise lock them out of their own account.
"""

from __future__ import annotations

from dataclasses import dataclass

from allauth.socialaccount.models import SocialAccount
from django.db import transaction

from accounts.models import User
from catalog.models import Playlist
from spotify.models import FollowedArtist, LibrarySync, Play, PlaySource, SpotifyLink, TopArtist, TopTrack


class DisconnectRefused(Exception):
    """Disconnecting now would leave the listener unable to log in (or nothing is connected)."""


@dataclass(frozen=True)
class Disconnected:
    plays: int
    top_tracks: int
    top_artists: int
    followed: int
    playlists: int

    @property
    def said(self) -> str:
        removed = self.plays + self.top_tracks + self.top_artists + self.followed + self.playlists
        return (
            "Spotify is disconnected: its tokens are deleted, and so is what it synced "
            f"({removed} rows: plays, top tracks and artists, follows, playlists). "
            "Anything you imported from a Spotify data download stays."
        )


def spotify_connected(*, user: User) -> bool:
    return (
        SpotifyLink.objects.filter(user=user).exists()
        or SocialAccount.objects.filter(user=user, provider="spotify").exists()
    )


def can_log_in_without_spotify(*, user: User) -> bool:
    return (
        user.has_usable_password()
        or SocialAccount.objects.filter(user=user).exclude(provider="spotify").exists()
    )


def spotify_disconnect(*, user: User) -> Disconnected:
    """Remove the link (tokens), allauth's record of the account, and the rows its syncs wrote."""
    if not spotify_connected(user=user):
        raise DisconnectRefused("Spotify isn't connected, so there is nothing to disconnect.")
    if not can_log_in_without_spotify(user=user):
        raise DisconnectRefused(
            "You log in with Spotify only, so disconnecting it would lock you out. Set a password first, "
            "then disconnect — or delete your account instead."
        )
    with transaction.atomic():
        SocialAccount.objects.filter(user=user, provider="spotify").delete()
        return synced_data_forget(user=user)


def synced_data_forget(*, user: User) -> Disconnected:
    """The tokens and every row a sync of the account wrote; imports and the listener's own data stay.

    Also what allauth's own "remove account" (Account connections) ends in, via its signal.
    """
    with transaction.atomic():
        SpotifyLink.objects.filter(user=user).delete()
        result = Disconnected(
            plays=Play.objects.filter(user=user, source=PlaySource.SPOTIFY).delete()[0],
            top_tracks=TopTrack.objects.filter(user=user).delete()[0],
            top_artists=TopArtist.objects.filter(user=user).delete()[0],
            followed=FollowedArtist.objects.filter(user=user).delete()[0],
            playlists=Playlist.objects.filter(owner=user).delete()[0],
        )
        LibrarySync.objects.filter(user=user).delete()
    return result
