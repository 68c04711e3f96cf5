from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from recommender.forms import ListenerSettingsForm
from recommender.models import TastePreference
from recommender.services import listener_settings


@login_required
def preferences(request: HttpRequest) -> HttpResponse:
    settings = listener_settings(user=request.user)
    form = ListenerSettingsForm(request.POST or None, instance=settings)
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(request, "Saved — your next recommendation uses these settings.")
        return redirect("recommender:preferences")
    tastes = TastePreference.objects.filter(user=request.user).order_by("-liked", "kind", "label")
    return render(request, "recommender/preferences.html", {"form": form, "tastes": tastes})


@login_required
@require_POST
def taste_forget(request: HttpRequest, pk: int) -> HttpResponse:
    deleted, _ = TastePreference.objects.filter(pk=pk, user=request.user).delete()
    if deleted:
        messages.info(request, "Forgotten.")
    return redirect("recommender:preferences")
