from django.apps import AppConfig


class MoodConfig(AppConfig):
    """Feelings, defined once: labels and coordinates, the sentence encoder, perception, targets."""

    name = "mood"
