from __future__ import annotations

from typing import Any, cast

from django.contrib import admin
from django.db.models import BooleanField, ExpressionWrapper, Q, QuerySet, Subquery
from django.http import HttpRequest

from accounts.models import User
from recommender.models import (
    TUNING_LABELS,
    Candidate,
    Feedback,
    ListenerSettings,
    RankingWeights,
    ServedItem,
    ServedList,
    TastePreference,
    TrackProfile,
)


@admin.register(TrackProfile)
class TrackProfileAdmin(admin.ModelAdmin):
    """Profiles are computed: staff read them to check what a track was embedded from."""

    list_display = ("track", "mood_text", "embedded_at")
    list_select_related = ("track",)
    search_fields = ("track__name", "mood_text")
    readonly_fields = ("track", "mood_text", "text_hash", "embedding", "embedded_at")
    fields = readonly_fields
    list_per_page = 50

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False


def _in_force() -> Q:
    """The version in force: the first row in the model's order, as the ranker reads it."""
    return Q(pk=Subquery(RankingWeights.objects.values("pk")[:1]))


class InForceFilter(admin.SimpleListFilter):
    title = "in force"
    parameter_name = "active"

    def lookups(self, request: HttpRequest, model_admin: admin.ModelAdmin) -> list[tuple[str, str]]:
        return [("yes", "Active"), ("no", "Superseded")]

    def queryset(self, request: HttpRequest, queryset: QuerySet[RankingWeights]) -> QuerySet[RankingWeights]:
        if self.value() == "yes":
            return queryset.filter(_in_force())
        if self.value() == "no":
            return queryset.exclude(_in_force())
        return queryset


@admin.register(RankingWeights)
class RankingWeightsAdmin(admin.ModelAdmin):
    """Tuning is append-only: "change" saves a new row, so every list's weights stay traceable.

    The newest row is in force. A new version starts from the one in force, and is named by who
    saved it, when, and what it changed against the version it replaced.
    """

    list_display = (
        "name",
        "active",
        "alpha_emotion",
        "beta_recent",
        "gamma_top",
        "temperature",
        "note",
    )
    list_filter = (InForceFilter,)
    list_select_related = ("created_by",)
    readonly_fields = ("change_summary", "created_at", "created_by")
    fieldsets = (
        ("Score", {"fields": ("alpha_emotion", "beta_recent", "gamma_top", "fit", "popularity")}),
        ("Listener signals", {"fields": ("preference", "feedback")}),
        (
            "Variety",
            {"fields": ("temperature", "buckets", "repeat_window", "max_per_artist", "candidate_pool")},
        ),
        (None, {"fields": ("note", "change_summary", "created_at", "created_by")}),
    )

    def get_queryset(self, request: HttpRequest) -> QuerySet[RankingWeights]:
        return (
            super()
            .get_queryset(request)
            .annotate(is_active=ExpressionWrapper(_in_force(), output_field=BooleanField()))
        )

    @admin.display(description="version", ordering="created_at")
    def name(self, obj: RankingWeights) -> str:
        return str(obj)

    @admin.display(description="active", boolean=True, ordering="is_active")
    def active(self, obj: RankingWeights) -> bool:
        return bool(obj.is_active)  # type: ignore[attr-defined]  # annotated in get_queryset

    def get_changeform_initial_data(self, request: HttpRequest) -> dict[str, Any]:
        """Start a new version from the one in force, so a second tweak keeps the first."""
        in_force = RankingWeights.objects.first()
        initial = {name: getattr(in_force, name) for name in TUNING_LABELS} if in_force else {}
        return {**initial, **super().get_changeform_initial_data(request)}

    def save_model(self, request: HttpRequest, obj: RankingWeights, form: object, change: bool) -> None:
        replaced = RankingWeights.objects.first() or RankingWeights()  # the code defaults before any
        if change:
            obj.pk = None  # keep the old row: a change is a new version
            obj._state.adding = True
        obj.created_by = cast(User, request.user)  # only signed-in staff reach the admin
        obj.change_summary = obj.changes_from(replaced)
        super().save_model(request, obj, form, change)

    def has_delete_permission(self, request: HttpRequest, obj: RankingWeights | None = None) -> bool:
        return False


class ServedItemInline(admin.TabularInline):
    model = ServedItem
    extra = 0
    can_delete = False
    fields = ("position", "track", "score", "sources", "explanation", "parts")
    readonly_fields = fields
    raw_id_fields = ("track",)

    def has_add_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


@admin.register(ServedList)
class ServedListAdmin(admin.ModelAdmin):
    """Every list served, with the mood, strategy, bucket and weights behind it."""

    list_display = ("created_at", "user", "mood_label", "strategy", "bucket", "cold_start", "request_text")
    list_filter = ("mood_label", "strategy", "cold_start")
    search_fields = ("user__email", "request_text")
    readonly_fields = [field.name for field in ServedList._meta.fields]
    inlines = [ServedItemInline]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False


@admin.register(Feedback)
class FeedbackAdmin(admin.ModelAdmin):
    list_display = ("created_at", "user", "track", "kind", "item")
    list_filter = ("kind",)
    search_fields = ("user__email", "track__name")
    raw_id_fields = ("track", "item")
    readonly_fields = ("created_at",)


@admin.register(ListenerSettings)
class ListenerSettingsAdmin(admin.ModelAdmin):
    list_display = (
        "user",
        "mood_strategy",
        "share_artists",
        "share_cooccurrence",
        "share_popular",
        "updated_at",
    )
    search_fields = ("user__email",)
    raw_id_fields = ("user",)


@admin.register(TastePreference)
class TastePreferenceAdmin(admin.ModelAdmin):
    list_display = ("user", "kind", "label", "value", "liked", "source", "created_at")
    list_filter = ("kind", "liked", "source")
    search_fields = ("user__email", "label", "value")
    raw_id_fields = ("user",)


@admin.register(Candidate)
class CandidateAdmin(admin.ModelAdmin):
    list_display = ("user", "track", "sources", "weight", "reason", "fetched_at")
    search_fields = ("user__email", "track__name")
    raw_id_fields = ("user", "track")
    list_select_related = ("user", "track")
