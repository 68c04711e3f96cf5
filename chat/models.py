"""Conversations, their messages, and the mood read from each listener message."""

from __future__ import annotations

from django.conf import settings
from django.db import models


class Conversation(models.Model):
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="conversations")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ("-updated_at",)

    def __str__(self) -> str:
        return f"conversation {self.pk} of {self.user_id}"


class Message(models.Model):
    class Role(models.TextChoices):
        USER = "user", "Listener"
        ASSISTANT = "assistant", "Assistant"

    conversation = models.ForeignKey(Conversation, on_delete=models.CASCADE, related_name="messages")
    role = models.CharField(max_length=10, choices=Role.choices)
    text = models.TextField()
    tracks = models.JSONField(default=list, blank=True, help_text="track cards shown with an assistant reply")
    meta = models.JSONField(
        default=dict,
        blank=True,
        help_text="what the agent did: intent, tools called, offers, the playlist in play",
    )
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ("created_at", "id")

    def __str__(self) -> str:
        return f"{self.role}: {self.text[:40]}"


class MoodReading(models.Model):
    """The mood perceived in one listener message (label plus valence/arousal in [-1, 1])."""

    message = models.OneToOneField(Message, on_delete=models.CASCADE, related_name="mood")
    label = models.CharField(max_length=20)
    valence = models.FloatField()
    arousal = models.FloatField()
    confidence = models.FloatField()
    perceived_label = models.CharField(
        max_length=20, blank=True, help_text="what perception read, kept when the listener corrects it"
    )
    corrected_at = models.DateTimeField(null=True, blank=True, help_text="set when the listener corrected it")
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"{self.label} ({self.valence:+.1f}, {self.arousal:+.1f})"
