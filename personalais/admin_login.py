"""The admin signs in through the site's own login, which is rate-limited (allauth).

Django admin's own login form has no throttle at all (40 of 40 guesses were processed); rather
than a second throttled form, /admin/login/ sends people to /accounts/login/ and back.
"""

from __future__ import annotations

from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse


def admin_login(request: HttpRequest, extra_context: object = None) -> HttpResponse:
    if request.user.is_authenticated:
        # Logged in without staff rights: say so (sending them to log in again would loop).
        return render(request, "admin_forbidden.html", status=403)
    return redirect_to_login(request.GET.get("next") or reverse("admin:index"), reverse("account_login"))
