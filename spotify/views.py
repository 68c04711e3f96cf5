from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.http import HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_POST

from accounts.http import AuthenticatedRequest

from . import selectors, services
from .models import SpotifyLink
from .tasks import sync_library


@login_required
def library(request: AuthenticatedRequest) -> HttpResponse:
    context = {
        "spotify": selectors.spotify_status(user=request.user),
        **selectors.library_overview(user=request.user),
    }
    return render(request, "spotify/library.html", context)


@login_required
@require_GET
def status(request: AuthenticatedRequest) -> JsonResponse:
    return JsonResponse(selectors.spotify_status(user=request.user).as_dict())


@login_required
@require_POST
def sync_now(request: AuthenticatedRequest) -> HttpResponse:
    if not SpotifyLink.objects.filter(user=request.user, status=SpotifyLink.Status.ACTIVE).exists():
        messages.error(request, "Connect Spotify first.")
        return redirect("spotify:library")
    if not services.library_sync_queued(user=request.user):
        messages.info(request, "A sync is already on its way.")
        return redirect("spotify:library")
    user_id = request.user.pk
    transaction.on_commit(lambda: sync_library.delay(user_id))
    messages.info(request, "Sync started — this page updates as it runs.")
    return redirect("spotify:library")
