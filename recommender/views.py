from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from accounts.http import AuthenticatedRequest
from recommender.forms import ListenerSettingsForm, TasteForm
from recommender.models import TastePreference
from recommender.selectors import listener_settings_get, track_votes
from recommender.services import vote_withdraw
from recommender.tastes import taste_remember

FINE_TUNING = ("alpha_emotion", "beta_recent", "gamma_top", "temperature")


@login_required
def preferences(request: AuthenticatedRequest) -> HttpResponse:
    settings = listener_settings_get(user=request.user)
    form = ListenerSettingsForm(request.POST or None, instance=settings)
    if request.method == "POST" and form.is_valid():
        form.save()
        # Said beside the Save button (where the eye is), not only in the banner at the top.
        return redirect(reverse("recommender:preferences") + "?saved=1#settings")
    tastes = TastePreference.objects.filter(user=request.user).order_by("-liked", "kind", "label")
    context = {
        "form": form,
        "tastes": tastes,
        "taste_form": TasteForm(),
        "votes": track_votes(user=request.user),
        "saved": request.method == "GET" and request.GET.get("saved") == "1",
        "fine_errors": any(form.errors.get(name) for name in FINE_TUNING),
        "fine_fields": [form[name] for name in FINE_TUNING],
    }
    return render(request, "recommender/preferences.html", context, status=400 if form.errors else 200)


@login_required
@require_POST
def vote_forget(request: AuthenticatedRequest, track_id: int) -> HttpResponse:
    """Take back a ♥ or ✕: the track is ranked as if it had never been voted on."""
    deleted = vote_withdraw(user=request.user, track_id=track_id)
    if deleted:
        messages.info(request, "Vote taken back.")
    return redirect(reverse("recommender:preferences") + "#votes")


@login_required
@require_POST
def taste_add(request: AuthenticatedRequest) -> HttpResponse:
    """Add a taste by hand; artists are grounded like the chat's, so only real ones are stored."""
    form = TasteForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Pick a kind and type what you mean.")
        return redirect("recommender:preferences")
    data = form.cleaned_data
    outcome = taste_remember(
        user=request.user, kind=data["kind"], value=data["value"], liked=data["liked"], source="settings"
    )
    (messages.success if outcome.ok else messages.error)(request, outcome.message)
    return redirect("recommender:preferences")


@login_required
@require_POST
def taste_flip(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    taste = TastePreference.objects.filter(pk=pk, user=request.user).first()
    if taste is not None:
        TastePreference.objects.filter(pk=taste.pk).update(liked=not taste.liked, source="settings")
        messages.info(
            request, f"{taste.label or taste.value}: {'no more' if taste.liked else 'more'} of this."
        )
    return redirect("recommender:preferences")


@login_required
@require_POST
def taste_forget(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    deleted, _ = TastePreference.objects.filter(pk=pk, user=request.user).delete()
    if deleted:
        messages.info(request, "Forgotten.")
    return redirect("recommender:preferences")
