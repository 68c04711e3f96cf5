from __future__ import annotations

from django.contrib import admin
from django.http import HttpRequest

from recommender.models import TrackProfile


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
