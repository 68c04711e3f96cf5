"""The page's player in JSON (``static/js/playback.js``): whether the Web Playback SDK is for this
listener, the token it plays with, and starting the shown list on its device."""

from __future__ import annotations

import json

from django.contrib.auth.decorators import login_required
from django.http import JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import ensure_csrf_cookie
from django.views.decorators.http import require_GET, require_POST

from accounts.http import AuthenticatedRequest

from . import playback
from .playback import PlaybackRefused


@login_required
@require_GET
@never_cache
@ensure_csrf_cookie  # the page's play request sends it back as X-CSRFToken
def player(request: AuthenticatedRequest) -> JsonResponse:
    return JsonResponse(playback.player_status(user=request.user).as_dict())


@login_required
@require_GET
@never_cache  # Cache-Control: no-store: a token must not be kept by a browser or a proxy
def player_token(request: AuthenticatedRequest) -> JsonResponse:
    try:
        token, expires_in = playback.player_token(user=request.user)
    except PlaybackRefused as refused:
        return _refused(refused)
    return JsonResponse({"access_token": token, "expires_in": expires_in})


@login_required
@require_POST
def player_play(request: AuthenticatedRequest) -> JsonResponse:
    try:
        data = json.loads(request.body or b"null")
    except ValueError:
        data = None
    try:
        playback.playback_start(user=request.user, play=playback.play_request_parse(data))
    except PlaybackRefused as refused:
        return _refused(refused)
    return JsonResponse({"ok": True})


@login_required
@require_POST
def player_no_premium(request: AuthenticatedRequest) -> JsonResponse:
    """The SDK in the listener's page said their account has no Premium (``account_error``)."""
    playback.premium_refusal_note(user=request.user)
    return JsonResponse(playback.player_status(user=request.user).as_dict())


def _refused(refused: PlaybackRefused) -> JsonResponse:
    return JsonResponse({"ok": False, "error": refused.message}, status=refused.status)
