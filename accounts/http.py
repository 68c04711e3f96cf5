"""Typing for views behind ``login_required``: their request always carries a signed-in listener."""

from __future__ import annotations

from django.http import HttpRequest

from accounts.models import User


class AuthenticatedRequest(HttpRequest):
    """A request that ``login_required`` let through; ``user`` is never anonymous."""

    user: User
