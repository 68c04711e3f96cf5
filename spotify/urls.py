from django.urls import path

from . import views

app_name = "spotify"
urlpatterns = [
    path("", views.library, name="library"),
    path("status.json", views.status, name="status"),
    path("sync/", views.sync_now, name="sync"),
]
