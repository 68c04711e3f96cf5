"""The "Your data" page, its archive download, and deleting the account.

Deleting asks for the current password when the account has one: a destructive act is
re-authenticated, and the email is printed in the page's top bar, so typing it would prove
nothing to someone at an unlocked, logged-in browser. Accounts made by "Log in with Spotify"
have no password; they type their email instead, which still makes the act deliberate.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

from allauth.core import ratelimit
from asgiref.sync import sync_to_async
from django import forms
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.decorators import login_required
from django.core.handlers.asgi import ASGIRequest
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from accounts.http import AuthenticatedRequest
from accounts.models import User

from .your_data import account_delete, export_chunks, export_filename, your_data_held

DELETED = "Your account and everything in it has been deleted."


@login_required
def your_data(request: AuthenticatedRequest) -> HttpResponse:
    return render(request, "account/your_data.html", {"held": your_data_held(user=request.user)})


@login_required
@require_POST
def your_data_export(request: AuthenticatedRequest) -> StreamingHttpResponse:
    """The archive as a download, streamed as it is read (a big history never sits in memory)."""
    chunks = export_chunks(user=request.user)
    response = StreamingHttpResponse(
        _async_chunks(chunks) if _served_async(request) else chunks,
        content_type="application/json; charset=utf-8",
    )
    response["Content-Disposition"] = f'attachment; filename="{export_filename()}"'
    response["Cache-Control"] = "no-store"
    return response


def _served_async(request: HttpRequest) -> bool:
    # Under ASGI Django would read a plain generator to its end before sending a byte.
    return isinstance(request, ASGIRequest)


async def _async_chunks(chunks: Iterator[str]) -> AsyncIterator[str]:
    """Each fragment read in the request's own sync thread: the database cursor stays on it."""
    read = sync_to_async(_next_or_none)
    try:
        while (chunk := await read(chunks)) is not None:
            yield chunk
    finally:
        await sync_to_async(chunks.close)()  # type: ignore[attr-defined]  # a generator


def _next_or_none(chunks: Iterator[str]) -> str | None:
    return next(chunks, None)


class DeleteConfirmForm(forms.Form):
    confirm = forms.CharField(strip=False, max_length=300)

    def __init__(self, *args: object, user: User, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.user = user
        self.by_password = user.has_usable_password()

    def clean_confirm(self) -> str:
        typed = self.cleaned_data["confirm"]
        if self.by_password:
            if not self.user.check_password(typed):
                raise forms.ValidationError("That is not your current password; nothing was deleted.")
        elif typed.strip().lower() != self.user.email.lower():
            raise forms.ValidationError("That is not your account's email address; nothing was deleted.")
        return typed


@login_required
def account_delete_confirm(request: AuthenticatedRequest) -> HttpResponse:
    user = request.user
    form = DeleteConfirmForm(request.POST or None, user=user)
    if request.method != "POST":
        return render(request, "account/delete_confirm.html", {"form": form})
    if form.by_password and not ratelimit.consume(request, action="reauthenticate", user=user):
        form.add_error(None, "Too many tries. Wait a minute, then try again.")
        return render(request, "account/delete_confirm.html", {"form": form}, status=429)
    if not form.is_valid():
        return render(request, "account/delete_confirm.html", {"form": form}, status=400)
    account_delete(user=user)
    logout(request)
    messages.success(request, DELETED)
    return redirect("chat:home")
