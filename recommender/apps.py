from django.apps import AppConfig


class RecommenderConfig(AppConfig):
    name = "recommender"

    def ready(self) -> None:
        # Imported for their side effects: ``__any`` is registered, and the receivers connected.
        from recommender import lookups, signals  # noqa: F401
