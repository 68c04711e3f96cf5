from django.apps import AppConfig


class RecommenderConfig(AppConfig):
    name = "recommender"

    def ready(self) -> None:
        from recommender import lookups  # noqa: F401  (registers ``__any``)
