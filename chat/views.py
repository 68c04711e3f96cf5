from __future__ import annotations

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from mood.labels import LABELS, MOOD_NAMES, mood_display


def home(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated:
        return redirect("chat:chat")
    return render(request, "chat/landing.html")


@login_required
def chat(request: HttpRequest) -> HttpResponse:
    # The moods a listener can correct a reading to: what perception reads, named as the app names them
    # and shown in the listener's words ("anxious / stressed", not "fear").
    moods = [{"label": label, "name": MOOD_NAMES[label], "shown": mood_display(label)} for label in LABELS]
    return render(request, "chat/chat.html", {"max_chars": settings.CHAT_MAX_MESSAGE_CHARS, "moods": moods})
