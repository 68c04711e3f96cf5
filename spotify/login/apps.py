from django.apps import AppConfig


class SpotifyLoginConfig(AppConfig):
    """ "Log in with Spotify": allauth's provider (found in this app's ``provider`` module) and the
    receivers that keep the tokens it brings, encrypted, and start the first library sync.

    allauth's own Spotify app is not installed: its label would clash with our ``spotify`` app.
    """

    name = "spotify.login"
    label = "spotify_login"

    def ready(self) -> None:
        from . import signals  # noqa: F401  connects the receivers (an import for its side effect)
