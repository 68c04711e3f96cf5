from django.contrib import admin
from django.urls import include, path

from . import health

urlpatterns = [
    path("admin/", admin.site.urls),
    path("accounts/", include("allauth.urls")),
    path("healthz", health.healthz, name="healthz"),
    path("library/", include("spotify.urls")),
    path("preferences/", include("recommender.urls")),
    path("", include("chat.urls")),
]
