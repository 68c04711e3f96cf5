from django.urls import path

from . import player_views, views

app_name = "spotify"
urlpatterns = [
    path("", views.library, name="library"),
    path("status.json", views.status, name="status"),
    path("sync/", views.sync_now, name="sync"),
    path("disconnect/", views.disconnect, name="disconnect"),
    path("import/", views.import_upload, name="import"),
    path("import/status.json", views.import_status, name="import_status"),
    path("player/", player_views.player, name="player"),
    path("player/token/", player_views.player_token, name="player_token"),
    path("player/play/", player_views.player_play, name="player_play"),
    path("player/no-premium/", player_views.player_no_premium, name="player_no_premium"),
]
