from django.contrib import admin
from django.urls import include, path

from . import health
from .admin_login import admin_login

admin.site.login = admin_login  # type: ignore[method-assign]  # the throttled login, not admin's own

urlpatterns = [
    path("admin/", admin.site.urls),
    path("accounts/", include("allauth.urls")),
    path("healthz", health.healthz, name="healthz"),
    path("library/", include("spotify.urls")),
    path("preferences/", include("recommender.urls")),
    path("", include("chat.urls")),
]
