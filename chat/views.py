from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render


def home(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated:
        return redirect("chat:chat")
    return render(request, "chat/landing.html")


@login_required
def chat(request: HttpRequest) -> HttpResponse:
    return render(request, "chat/chat.html", {"max_chars": 2000})
