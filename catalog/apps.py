from django.apps import AppConfig


class CatalogConfig(AppConfig):
    """The music we know, whatever told us about it: an imported catalog, the demo, Spotify."""

    name = "catalog"
