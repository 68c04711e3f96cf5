from __future__ import annotations

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse

from mood.labels import LABELS, MOOD_NAMES, mood_display
from spotify.embed import embed_origin
from spotify.playback import sdk_csp_sources
from spotify.selectors import spotify_status


def home(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated:
        return redirect("chat:chat")
    return render(request, "chat/landing.html")


@login_required
def chat(request: HttpRequest) -> HttpResponse:
    # The moods a listener can correct a reading to: what perception reads, named as the app names them
    # and shown in the listener's words ("anxious / stressed", not "fear").
    moods = [{"label": label, "name": MOOD_NAMES[label], "shown": mood_display(label)} for label in LABELS]
    embed = embed_origin()
    page = {
        "embed_origin": embed,
        # Saving a list as a playlist needs a Spotify account; others are not offered a button that fails.
        "can_save": spotify_status(user=request.user).connected,  # type: ignore[arg-type]
        "player_url": reverse("spotify:player"),  # the Web Playback SDK, where the account allows it
    }
    context = {"max_chars": settings.CHAT_MAX_MESSAGE_CHARS, "moods": moods, "page": page}
    response = render(request, "chat/chat.html", context)
    # The embed and SDK origins move with the emulator's port (tests, custom set-ups): allow exactly them.
    allowed: dict[str, list[str]] = {"frame-src": [embed], "img-src": [embed]}
    for directive, sources in sdk_csp_sources().items():
        allowed[directive] = sorted({*allowed.get(directive, []), *sources})
    response._csp_update = allowed  # type: ignore[attr-defined]
    return response
