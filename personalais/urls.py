from django.contrib import admin
from django.templatetags.static import static
from django.urls import include, path
from django.views.generic import RedirectView

from . import health
from .admin_login import admin_login

admin.site.login = admin_login  # type: ignore[method-assign]  # the throttled login, not admin's own

urlpatterns = [
    path("admin/", admin.site.urls),
    path("accounts/", include("allauth.urls")),
    path("healthz", health.healthz, name="healthz"),
    # Browsers ask for /favicon.ico whatever the page says; send them to the icon the pages name.
    path("favicon.ico", RedirectView.as_view(url=static("favicon.svg"), permanent=True)),
    path("library/", include("spotify.urls")),
    path("preferences/", include("recommender.urls")),
    path("", include("chat.urls")),
]
