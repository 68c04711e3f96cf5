from django.apps import AppConfig


class SpotifyLoginConfig(AppConfig):
    """allauth finds providers in installed apps' ``provider`` modules; ours lives here.

    allauth's own Spotify app is not installed: its label would clash with our ``spotify`` app.
    """

    name = "accounts.spotify_login"
    label = "spotify_login"
