from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.http import HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from accounts.http import AuthenticatedRequest

from . import selectors, services
from .data_import.errors import DownloadError
from .data_import.selectors import data_import_status
from .data_import.services import data_import_start, max_upload_bytes
from .disconnect import DisconnectRefused, can_log_in_without_spotify, spotify_disconnect
from .models import SpotifyLink
from .tasks import import_spotify_data, sync_library


@login_required
def library(request: AuthenticatedRequest) -> HttpResponse:
    context = {
        "spotify": selectors.spotify_status(user=request.user),
        "login_without_spotify": can_log_in_without_spotify(user=request.user),
        **selectors.library_overview(user=request.user),
        "data_import": data_import_status(user=request.user),
        "import_max_mb": max_upload_bytes() // 1024**2,
    }
    return render(request, "spotify/library.html", context)


@login_required
@require_POST
def disconnect(request: AuthenticatedRequest) -> HttpResponse:
    try:
        result = spotify_disconnect(user=request.user)
    except DisconnectRefused as refused:
        messages.error(request, str(refused))
        return redirect(reverse("spotify:library") + "#spotify-status")
    messages.success(request, result.said)
    return redirect("spotify:library")


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


@login_required
@require_POST
def import_upload(request: AuthenticatedRequest) -> HttpResponse:
    """Take a Spotify data download (a ZIP, or its JSON files) and queue its import."""
    declared = int(request.META.get("CONTENT_LENGTH") or 0)
    if declared > max_upload_bytes() + 1024**2:  # before the body is parsed: refuse at once
        messages.error(
            request, f"That upload is too big; the most we take is {max_upload_bytes() // 1024**2} MB."
        )
        return redirect("spotify:library")
    try:
        data_import = data_import_start(user=request.user, files=request.FILES.getlist("files"))
    except DownloadError as exc:
        messages.error(request, str(exc))
        return redirect("spotify:library")
    import_id = data_import.pk
    transaction.on_commit(lambda: import_spotify_data.delay(import_id))
    messages.info(request, "Import started — this page shows its progress.")
    return redirect(f"{reverse('spotify:library')}#import")


@login_required
@require_GET
def import_status(request: AuthenticatedRequest) -> JsonResponse:
    return JsonResponse(data_import_status(user=request.user))
