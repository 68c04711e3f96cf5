"""What we compute about tracks: a mood text and its embedding, searched with pgvector."""

from __future__ import annotations

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.core.exceptions import ValidationError
from django.db import models
from pgvector.django import HnswIndex, VectorField

EMBEDDING_DIMENSIONS = 384


class TrackProfile(models.Model):
    track = models.OneToOneField("catalog.Track", on_delete=models.CASCADE, related_name="profile")
    mood_text = models.TextField()
    text_hash = models.CharField(
        max_length=64, help_text="sha256 of mood_text; re-embed only when it changes"
    )
    embedding = VectorField(dimensions=EMBEDDING_DIMENSIONS, null=True)
    embedded_at = models.DateTimeField(null=True, blank=True)
    # Valence/energy in Spotify's [0, 1]: copied from audio features when the catalog has them,
    # otherwise estimated from the embedding (affect_source "estimated", with a confidence).
    valence = models.FloatField(null=True, blank=True)
    energy = models.FloatField(null=True, blank=True)
    affect_source = models.CharField(max_length=12, blank=True, help_text="features | estimated")
    affect_confidence = models.FloatField(null=True, blank=True)
    lyrics_status = models.CharField(
        max_length=10, default="unknown", help_text="unknown | found | missing | error (offline: missing)"
    )
    # The track's mood as people label it (mood.track_mood), in TRACK_MOODS order: ``mood_own``
    # from its own signals, ``mood`` with what the database adds (artist, playlists, listeners).
    mood_own = ArrayField(models.FloatField(), size=4, null=True, blank=True)
    mood = ArrayField(models.FloatField(), size=4, null=True, blank=True)
    mood_label = models.CharField(max_length=12, blank=True, help_text="the most likely mood")
    mood_confidence = models.FloatField(null=True, blank=True, help_text="its probability")
    mood_signals = models.CharField(
        max_length=80, blank=True, help_text="features | text, artist, playlists, listeners"
    )
    mood_hash = models.CharField(
        max_length=64, blank=True, help_text="inputs of mood_own; recompute on change"
    )
    inputs_hash = models.CharField(
        max_length=32,
        blank=True,
        default="",
        db_default="",
        help_text="md5 of the catalog rows it was built from; a full refresh skips it while they match",
    )

    class Meta:
        indexes = [
            HnswIndex(
                name="trackprofile_embedding_hnsw",
                fields=["embedding"],
                m=16,
                ef_construction=64,
                opclasses=["vector_cosine_ops"],
            )
        ]

    def __str__(self) -> str:
        return f"profile of {self.track_id}"


class Source(models.TextChoices):
    """Where a candidate came from; the listener's source-ratio controller shares these out."""

    ARTISTS = "artists", "Artists you listen to"
    COOCCURRENCE = "cooccurrence", "Often played alongside your tracks"
    POPULAR = "popular", "Popular right now"


class MoodStrategy(models.TextChoices):
    STAY = "stay", "Stay with my mood"
    LIFT = "lift", "Lift my mood"


# The tuning fields and how a version's name shows them ("α 2.0→2.5, temperature 0.08→0.1").
TUNING_LABELS: dict[str, str] = {
    "alpha_emotion": "α",
    "beta_recent": "β",
    "gamma_top": "γ",
    "fit": "fit",
    "popularity": "popularity",
    "preference": "preference",
    "feedback": "feedback",
    "temperature": "temperature",
    "buckets": "buckets",
    "repeat_window": "repeat window",
    "max_per_artist": "max per artist",
    "candidate_pool": "candidate pool",
}


class RankingWeights(models.Model):
    """The tuning of the ranker, edited in the admin; the newest row is in force.

    Each save is a new row named by who saved it, when, and what it changed against the version
    in force before it, so the weights behind any served list can be traced.
    """

    alpha_emotion = models.FloatField(default=2.0, help_text="α: similarity to the mood target")
    beta_recent = models.FloatField(default=0.6, help_text="β: similarity to recent plays")
    gamma_top = models.FloatField(default=0.6, help_text="γ: similarity to top tracks")
    fit = models.FloatField(
        default=3.0,
        help_text="mood fit: how likely the track carries the asked-for mood (learned track moods)",
    )
    popularity = models.FloatField(default=0.15, help_text="popularity prior")
    preference = models.FloatField(default=1.0, help_text="asked-for genres/artists up, rejected down")
    feedback = models.FloatField(default=1.0, help_text="👍/saved up, 👎/skip down")
    temperature = models.FloatField(default=0.08, help_text="softmax sampling temperature; 0 = greedy top-k")
    buckets = models.PositiveSmallIntegerField(default=3, help_text="diversity buckets per request")
    repeat_window = models.PositiveSmallIntegerField(
        default=5, help_text="tracks served in this many recent lists are not served again"
    )
    max_per_artist = models.PositiveSmallIntegerField(default=2)
    candidate_pool = models.PositiveIntegerField(
        default=400, help_text="nearest tracks considered per request"
    )
    note = models.CharField(max_length=200, blank=True, help_text="why this change")
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    change_summary = models.CharField(
        max_length=300, blank=True, help_text="what changed against the version in force before"
    )

    class Meta:
        ordering = ("-created_at", "-id")  # the first row is in force (selectors.site_weights_get)
        verbose_name_plural = "ranking weights"
        constraints = [
            models.CheckConstraint(condition=models.Q(temperature__gte=0), name="temperature_not_negative"),
            models.CheckConstraint(condition=models.Q(buckets__gte=1), name="at_least_one_bucket"),
            models.CheckConstraint(condition=models.Q(max_per_artist__gte=1), name="max_per_artist_positive"),
        ]

    def __str__(self) -> str:
        """E.g. "v7 · 2026-12-01 14:02 · by admin@example.com · α 2.0→2.5, temperature 0.08→0.1"."""
        if self.pk is None:
            return "new weights"
        parts = [f"v{self.pk}", f"{self.created_at:%Y-%m-%d %H:%M}"]
        if self.created_by_id is not None:
            parts.append(f"by {self.created_by}")
        if self.change_summary:
            parts.append(self.change_summary)
        return " · ".join(parts)

    def changes_from(self, previous: RankingWeights) -> str:
        """The tuning fields that differ from ``previous``, e.g. "α 2.0→2.5, buckets 3→2"."""
        changes = [
            f"{label} {getattr(previous, name)}→{getattr(self, name)}"
            for name, label in TUNING_LABELS.items()
            if getattr(previous, name) != getattr(self, name)
        ]
        return ", ".join(changes) or "no weight changed"

    def clean(self) -> None:
        errors = {}
        for name in (
            "alpha_emotion",
            "beta_recent",
            "gamma_top",
            "fit",
            "popularity",
            "preference",
            "feedback",
        ):
            value = getattr(self, name)
            if value is None or not -10.0 <= value <= 10.0:
                errors[name] = "Keep weights between -10 and 10."
        if self.temperature is not None and not 0 <= self.temperature <= 5:
            errors["temperature"] = "Temperature must be between 0 (greedy) and 5."
        if self.candidate_pool is not None and not 20 <= self.candidate_pool <= 10_000:
            errors["candidate_pool"] = "Consider between 20 and 10,000 candidates."
        if errors:
            raise ValidationError(errors)


class ListenerSettings(models.Model):
    """A listener's own controls: mood strategy, source shares, and optional weight overrides."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="listener_settings"
    )
    mood_strategy = models.CharField(max_length=10, choices=MoodStrategy.choices, default=MoodStrategy.STAY)
    share_artists = models.PositiveSmallIntegerField(default=50, help_text="% from artists you listen to")
    share_cooccurrence = models.PositiveSmallIntegerField(
        default=30, help_text="% played alongside your tracks"
    )
    share_popular = models.PositiveSmallIntegerField(default=20, help_text="% popular picks")
    allow_explicit = models.BooleanField(default=True)
    alpha_emotion = models.FloatField(null=True, blank=True, help_text="override α (blank: site default)")
    beta_recent = models.FloatField(null=True, blank=True, help_text="override β")
    gamma_top = models.FloatField(null=True, blank=True, help_text="override γ")
    temperature = models.FloatField(null=True, blank=True, help_text="override variety (temperature)")
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "listener settings"
        verbose_name_plural = "listener settings"

    def __str__(self) -> str:
        return f"settings of {self.user_id}"

    @property
    def source_shares(self) -> dict[str, float]:
        raw = {
            Source.ARTISTS: self.share_artists,
            Source.COOCCURRENCE: self.share_cooccurrence,
            Source.POPULAR: self.share_popular,
        }
        total = sum(raw.values()) or 1
        return {str(source): value / total for source, value in raw.items()}


class Candidate(models.Model):
    """A track prefetched for one listener by recall, with why it was recalled."""

    # One index leads with the listener: the unique (user, track) one. With others beside it
    # (the foreign key's own, one on (user, -weight)), the planner, which guesses a listener has
    # few candidates, looked up "this listener's weight for this track" through one of those,
    # reading all ~800 of the listener's candidates 200 times a turn (10 of the pool statement's
    # 13 ms; tests/test_turn_queries.py holds the plan). Reading them by weight sorts ~800 rows.
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="candidates", db_index=False
    )
    track = models.ForeignKey("catalog.Track", on_delete=models.CASCADE, related_name="+")
    sources = models.JSONField(default=list, help_text="recall sources, e.g. ['artists', 'popular']")
    weight = models.FloatField(default=0.0, help_text="how strongly recall ties the track to the listener")
    reason = models.CharField(max_length=200, blank=True, help_text="e.g. 'by Nora Vale, whom you follow'")
    fetched_at = models.DateTimeField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=("user", "track"), name="unique_candidate")]

    def __str__(self) -> str:
        return f"{self.track_id} for {self.user_id}"


class TastePreference(models.Model):
    """Something the listener asked for or rejected: an artist, genre, track, mood or constraint.

    Constraints are named values (``no_explicit``, ``short_tracks``); ``liked`` True means "apply it".
    """

    class Kind(models.TextChoices):
        ARTIST = "artist", "Artist"
        GENRE = "genre", "Genre"
        TRACK = "track", "Track"
        MOOD = "mood", "Mood"
        CONSTRAINT = "constraint", "Constraint"

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="taste_preferences"
    )
    kind = models.CharField(max_length=10, choices=Kind.choices)
    value = models.CharField(max_length=300, help_text="artist/track Spotify id, or genre name")
    label = models.CharField(max_length=300, blank=True, help_text="what the listener sees")
    liked = models.BooleanField(help_text="True: more of this; False: no more of this")
    source = models.CharField(max_length=40, default="settings", help_text="chat, settings, feedback…")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=("user", "kind", "value"), name="unique_taste_preference")
        ]

    def __str__(self) -> str:
        return f"{'+' if self.liked else '-'}{self.kind}:{self.label or self.value}"


class ServedList(models.Model):
    """One recommendation list as served, with the mood and weights behind it."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="served_lists")
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    request_text = models.TextField(blank=True)
    mood_label = models.CharField(max_length=20)
    track_mood = models.CharField(max_length=12, blank=True, help_text="the track mood the list aimed at")
    valence = models.FloatField()
    arousal = models.FloatField()
    strategy = models.CharField(max_length=10, choices=MoodStrategy.choices, default=MoodStrategy.STAY)
    bucket = models.PositiveSmallIntegerField(default=0)
    weights = models.JSONField(default=dict, help_text="the weights in force, as used")
    cold_start = models.BooleanField(default=False)

    class Meta:
        ordering = ("-created_at", "-id")

    def __str__(self) -> str:
        return f"{self.mood_label} list for {self.user_id} at {self.created_at:%Y-%m-%d %H:%M}"


class ServedItem(models.Model):
    served = models.ForeignKey(ServedList, on_delete=models.CASCADE, related_name="items")
    track = models.ForeignKey("catalog.Track", on_delete=models.CASCADE, related_name="+")
    position = models.PositiveSmallIntegerField()
    score = models.FloatField()
    parts = models.JSONField(default=dict, help_text="score parts: emotion, recent, top, fit, …")
    sources = models.JSONField(default=list)
    explanation = models.CharField(max_length=300)

    class Meta:
        ordering = ("position",)
        constraints = [models.UniqueConstraint(fields=("served", "position"), name="unique_served_position")]

    def __str__(self) -> str:
        return f"#{self.position} of list {self.served_id}"


class Feedback(models.Model):
    class Kind(models.TextChoices):
        LIKE = "like", "👍"
        DISLIKE = "dislike", "👎"
        SKIP = "skip", "Skipped"
        SAVED = "saved", "Saved to a playlist"

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="feedback")
    track = models.ForeignKey("catalog.Track", on_delete=models.CASCADE, related_name="+")
    item = models.ForeignKey(
        ServedItem, on_delete=models.SET_NULL, null=True, blank=True, related_name="feedback"
    )
    kind = models.CharField(max_length=10, choices=Kind.choices)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name_plural = "feedback"
        indexes = [models.Index(fields=("user", "track"), name="feedback_user_track")]

    def __str__(self) -> str:
        return f"{self.kind} on {self.track_id} by {self.user_id}"
