from django.contrib import admin
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.templatetags.static import static
from django.urls import include, path

from . import health, your_data_views
from .admin_login import admin_login


def favicon(request: HttpRequest) -> HttpResponse:
    """The icon's hashed static URL, resolved per request (production's manifest exists only then)."""
    return redirect(static("favicon.svg"), permanent=True)


admin.site.login = admin_login  # type: ignore[method-assign]  # the throttled login, not admin's own

urlpatterns = [
    path("admin/", admin.site.urls),
    # Before allauth's include, so no path of its own can ever shadow account deletion.
    path("account/data/", your_data_views.your_data, name="your_data"),
    path("account/data/export/", your_data_views.your_data_export, name="your_data_export"),
    path("accounts/delete/", your_data_views.account_delete_confirm, name="account_delete"),
    path("accounts/", include("allauth.urls")),
    path("healthz", health.healthz, name="healthz"),
    # Browsers ask for /favicon.ico whatever the page says; send them to the icon the pages name.
    path("favicon.ico", favicon),
    path("library/", include("spotify.urls")),
    path("preferences/", include("recommender.urls")),
    path("", include("chat.urls")),
]
