"""What we compute about tracks: a mood text and its embedding, searched with pgvector."""

from __future__ import annotations

from django.db import models
from pgvector.django import HnswIndex, VectorField

EMBEDDING_DIMENSIONS = 384


class TrackProfile(models.Model):
    track = models.OneToOneField("spotify.Track", on_delete=models.CASCADE, related_name="profile")
    mood_text = models.TextField()
    text_hash = models.CharField(
        max_length=64, help_text="sha256 of mood_text; re-embed only when it changes"
    )
    embedding = VectorField(dimensions=EMBEDDING_DIMENSIONS, null=True)
    embedded_at = models.DateTimeField(null=True, blank=True)

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
