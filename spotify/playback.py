"""Playing the shown list in the listener's page with Spotify's Web Playback SDK (Premium only);
everyone else gets Spotify's embed, which the page falls back to whenever this says no.

Since 2026 a development-mode app no longer sees ``product`` in GET /me, so Premium is known
only when Spotify says it: /me where it still does (extended-quota apps), or a refusal — a
player command answered PREMIUM_REQUIRED, or the SDK's ``account_error`` that the page reports.
Until then a listener who granted the player scopes is offered the SDK, which finds out by
itself within seconds. What is learned is cached for a day per link, so the next page goes
straight to the embed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.cache import cache

from accounts.models import User

from .client import premium_required
from .embed import SPOTIFY_API_ORIGIN, origin
from .errors import (
    SpotifyAuthExpired,
    SpotifyError,
    SpotifyNoAnswer,
    SpotifyNotConnected,
    SpotifyNotFound,
    SpotifyPermissionDenied,
    SpotifyRateLimited,
)
from .models import SpotifyLink
from .services import spotify_client_for
from .tokens import access_token_for, expires_at_from

SPOTIFY_SDK_URL = "https://sdk.scdn.co/spotify-player.js"
EMULATOR_SDK_PATH = "/sdk/spotify-player.js"
# The SDK plays with "streaming"; starting the list on its device needs "user-modify-playback-state".
PLAYER_SCOPES = ("streaming", "user-modify-playback-state")
QUEUE_MAX = 50
PRODUCT_CACHE_SECONDS = 24 * 3600
UNKNOWN = ""  # cached when Spotify does not say (development mode): the SDK will tell
TRACK_URI = re.compile(r"spotify:track:[0-9A-Za-z]{22}")
DEVICE_ID = re.compile(r"[0-9A-Za-z_-]{1,128}")

NOT_CONNECTED = "Full playback in the page needs Spotify Premium: connect Spotify on your Library page."
RECONNECT = "Spotify needs you to reconnect on the Library page before songs can play in the page."
NOT_ALLOWLISTED = "Spotify doesn't let this app play for your account yet (it isn't on the app's allow-list)."
NEEDS_CONSENT = "Playing in the page needs your permission: reconnect Spotify on the Library page."
NOT_PREMIUM = "Full playback in the page needs Spotify Premium."
NOT_CONNECTED_PLAYER = "The player in this page is not connected; reload the page to try again."
BUSY = "Spotify is busy, try again in a few seconds."
NO_ANSWER = "Spotify didn't answer in time; if nothing plays, try again."
FAILED = "Spotify didn't answer properly just now; try again in a moment."
REFUSED = "Spotify refused to play that for your account."


@dataclass(frozen=True)
class PlayerStatus:
    sdk: bool
    reason: str = ""

    def as_dict(self) -> dict[str, Any]:
        if self.sdk:
            return {"sdk": True, "sdk_url": sdk_url()}
        return {"sdk": False, "reason": self.reason}


@dataclass(frozen=True)
class PlayRequest:
    device_id: str
    uris: list[str]
    offset: int


class PlaybackRefused(Exception):
    """What the page is told instead of playing: ``message`` in plain words, ``status`` for HTTP."""

    def __init__(self, message: str, *, status: int) -> None:
        super().__init__(message)
        self.message = message
        self.status = status


def sdk_url() -> str:
    """Spotify's SDK script, or the emulator's stand-in when the app talks to the emulator
    (read per request: tests move the emulator)."""
    configured = getattr(settings, "SPOTIFY_SDK_URL", "")
    if configured:
        return str(configured)
    api = origin(settings.SPOTIFY_API_BASE_URL)
    return SPOTIFY_SDK_URL if api == SPOTIFY_API_ORIGIN else api + EMULATOR_SDK_PATH


def sdk_csp_sources() -> dict[str, list[str]]:
    """What the page's Content-Security-Policy must allow for the SDK: its script, the iframe the
    real SDK plays in, and the origin the emulator's stand-in talks to."""
    sdk = origin(sdk_url())
    return {"script-src": [sdk], "frame-src": [sdk], "connect-src": [sdk]}


def player_status(*, user: User) -> PlayerStatus:
    """Whether the page should start the SDK for ``user``, and if not, why in their words."""
    link = SpotifyLink.objects.filter(user=user).first()
    if link is None:
        return PlayerStatus(False, NOT_CONNECTED)
    if link.status == SpotifyLink.Status.NEEDS_RECONSENT:
        return PlayerStatus(False, RECONNECT)
    if link.status == SpotifyLink.Status.NOT_ALLOWLISTED:
        return PlayerStatus(False, NOT_ALLOWLISTED)
    # An empty scope is not known (a fresh login's grant does not record it): the SDK will tell.
    granted = set(link.scope.split())
    if granted and not granted.issuperset(PLAYER_SCOPES):
        return PlayerStatus(False, NEEDS_CONSENT)
    try:
        product = _product(user=user, link=link)
    except SpotifyAuthExpired:
        return PlayerStatus(False, RECONNECT)
    if product not in (UNKNOWN, "premium"):
        return PlayerStatus(False, NOT_PREMIUM)
    return PlayerStatus(True)


def player_token(*, user: User) -> tuple[str, int]:
    """(access token, seconds it stays valid) for the SDK in ``user``'s own page; PlaybackRefused
    (403) when the SDK is not for them."""
    status = player_status(user=user)
    if not status.sdk:
        raise PlaybackRefused(status.reason, status=403)
    try:
        token = access_token_for(user=user)
    except SpotifyError as exc:
        raise _refusal(exc, user=user) from exc
    link = SpotifyLink.objects.get(user=user)
    return token, expires_at_from(link.expires_at)


def play_request_parse(data: object) -> PlayRequest:
    """The page's ``{device_id, uris, offset}``, checked; PlaybackRefused (400) says what is wrong."""
    if not isinstance(data, dict):
        raise PlaybackRefused("Send a JSON object with device_id, uris and offset.", status=400)
    device_id, uris, offset = data.get("device_id"), data.get("uris"), data.get("offset", 0)
    if not isinstance(device_id, str) or not DEVICE_ID.fullmatch(device_id):
        raise PlaybackRefused("The player in this page has no device id yet.", status=400)
    if not isinstance(uris, list) or not 1 <= len(uris) <= QUEUE_MAX:
        raise PlaybackRefused(f"Send between 1 and {QUEUE_MAX} tracks to play.", status=400)
    if not all(isinstance(uri, str) and TRACK_URI.fullmatch(uri) for uri in uris):
        raise PlaybackRefused("Only Spotify tracks (spotify:track:…) can be played.", status=400)
    if not isinstance(offset, int) or isinstance(offset, bool) or not 0 <= offset < len(uris):
        raise PlaybackRefused("The track to start from is not in the list.", status=400)
    return PlayRequest(device_id=device_id, uris=list(uris), offset=offset)


def playback_start(*, user: User, play: PlayRequest) -> None:
    """Plays ``play.uris`` as a queue from ``play.offset`` on the page's SDK device; raises
    PlaybackRefused with the listener's words and an HTTP status when Spotify will not."""
    status = player_status(user=user)
    if not status.sdk:
        raise PlaybackRefused(status.reason, status=403)
    try:
        with spotify_client_for(user=user) as client:
            client.start_playback(play.device_id, play.uris, play.offset)
    except SpotifyError as exc:
        raise _refusal(exc, user=user) from exc


def premium_refusal_note(*, user: User) -> None:
    """Spotify said ``user``'s account has no Premium (a player command, or the SDK's account_error
    the page reports): the next page offers the embed straight away."""
    link = SpotifyLink.objects.filter(user=user).first()
    if link is not None:
        cache.set(_product_key(link), "free", PRODUCT_CACHE_SECONDS)


def _product(*, user: User, link: SpotifyLink) -> str:
    """The account's product as Spotify last told it, else UNKNOWN; asks GET /me once a day."""
    key = _product_key(link)
    known = cache.get(key)
    if known is not None:
        return str(known)
    try:
        with spotify_client_for(user=user) as client:
            product = client.current_user().product or UNKNOWN
    except SpotifyAuthExpired:
        raise
    except SpotifyError:
        return UNKNOWN  # not cached: asked again on the next page
    cache.set(key, product, PRODUCT_CACHE_SECONDS)
    return product


def _product_key(link: SpotifyLink) -> str:
    return f"spotify:player:product:{link.pk}:{link.spotify_user_id}"


def _refusal(exc: SpotifyError, *, user: User) -> PlaybackRefused:
    if premium_required(exc):
        premium_refusal_note(user=user)
        return PlaybackRefused(NOT_PREMIUM, status=403)
    if isinstance(exc, SpotifyNotConnected):
        return PlaybackRefused(NOT_CONNECTED, status=409)
    if isinstance(exc, SpotifyAuthExpired):
        return PlaybackRefused(RECONNECT, status=409)
    if isinstance(exc, SpotifyPermissionDenied):
        return PlaybackRefused(NOT_ALLOWLISTED if exc.not_allowlisted else REFUSED, status=403)
    if isinstance(exc, SpotifyNotFound):
        return PlaybackRefused(NOT_CONNECTED_PLAYER, status=404)
    if isinstance(exc, SpotifyRateLimited):
        return PlaybackRefused(BUSY, status=429)
    if isinstance(exc, SpotifyNoAnswer):
        return PlaybackRefused(NO_ANSWER, status=504)
    return PlaybackRefused(FAILED, status=502)
