"""A listener's Spotify: their authorization, library (top items, plays, follows) and its sync.

The music itself (tracks, artists, albums, playlists) lives in ``catalog``.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
from django.db import models
from django.utils import timezone

from catalog.models import Artist, Playlist, Track

from .fields import EncryptedTextField


class TimeRange(models.TextChoices):
    SHORT = "short_term", "Last 4 weeks"
    MEDIUM = "medium_term", "Last 6 months"
    LONG = "long_term", "All time"


class TopTrack(models.Model):
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="top_tracks")
    track = models.ForeignKey(Track, on_delete=models.CASCADE, related_name="+")
    time_range = models.CharField(max_length=12, choices=TimeRange.choices)
    rank = models.PositiveSmallIntegerField()

    class Meta:
        ordering = ("time_range", "rank")
        constraints = [
            models.UniqueConstraint(fields=("user", "time_range", "rank"), name="unique_top_track_rank"),
        ]

    def __str__(self) -> str:
        return f"{self.user_id} {self.time_range} #{self.rank}"


class TopArtist(models.Model):
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="top_artists")
    artist = models.ForeignKey(Artist, on_delete=models.CASCADE, related_name="+")
    time_range = models.CharField(max_length=12, choices=TimeRange.choices)
    rank = models.PositiveSmallIntegerField()

    class Meta:
        ordering = ("time_range", "rank")
        constraints = [
            models.UniqueConstraint(fields=("user", "time_range", "rank"), name="unique_top_artist_rank"),
        ]

    def __str__(self) -> str:
        return f"{self.user_id} {self.time_range} #{self.rank}"


class PlaySource(models.TextChoices):
    """Where a play was learned: disconnecting Spotify removes what the account synced, not an import."""

    SPOTIFY = "spotify", "synced from Spotify"
    IMPORT = "import", "imported from a Spotify data download"


class Play(models.Model):
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="plays")
    track = models.ForeignKey(Track, on_delete=models.CASCADE, related_name="+")
    played_at = models.DateTimeField()
    source = models.CharField(
        max_length=10, choices=PlaySource.choices, default=PlaySource.SPOTIFY, db_default=PlaySource.SPOTIFY
    )
    # From an extended streaming history only (the Web API's recently-played says neither).
    ms_played = models.PositiveIntegerField(null=True, blank=True)
    skipped = models.BooleanField(null=True, blank=True)

    class Meta:
        ordering = ("-played_at",)
        constraints = [models.UniqueConstraint(fields=("user", "played_at"), name="unique_play_time")]

    def __str__(self) -> str:
        return f"{self.user_id} played {self.track_id} at {self.played_at:%Y-%m-%d %H:%M}"


class FollowedArtist(models.Model):
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="followed_artists"
    )
    artist = models.ForeignKey(Artist, on_delete=models.CASCADE, related_name="+")

    class Meta:
        constraints = [models.UniqueConstraint(fields=("user", "artist"), name="unique_followed_artist")]

    def __str__(self) -> str:
        return f"{self.user_id} follows {self.artist_id}"


class SpotifyLink(models.Model):
    """A listener's Spotify authorization: tokens encrypted at rest, and whether they still work."""

    class Status(models.TextChoices):
        ACTIVE = "active", "Connected"
        NEEDS_RECONSENT = "needs_reconsent", "Needs you to reconnect"
        NOT_ALLOWLISTED = "not_allowlisted", "Not allowed by the Spotify app"

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="spotify_link"
    )
    spotify_user_id = models.CharField(max_length=128)
    access_token = EncryptedTextField()
    refresh_token = EncryptedTextField()
    expires_at = models.DateTimeField()
    scope = models.TextField(blank=True)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.ACTIVE)
    status_detail = models.CharField(max_length=300, blank=True)
    connected_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"{self.user_id} ↔ spotify:{self.spotify_user_id} ({self.status})"


class LibrarySync(models.Model):
    """Progress and bookkeeping of a listener's library sync, shown to them as it runs."""

    class State(models.TextChoices):
        NEVER = "never", "Not synced yet"
        QUEUED = "queued", "Waiting to start"
        RUNNING = "running", "Syncing"
        WAITING = "waiting", "Waiting to retry"
        DONE = "done", "Up to date"
        FAILED = "failed", "Failed"

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="library_sync"
    )
    state = models.CharField(max_length=10, choices=State.choices, default=State.NEVER)
    step = models.CharField(max_length=60, blank=True, help_text="what the running sync is doing now")
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    last_success_at = models.DateTimeField(null=True, blank=True)
    recent_after_ms = models.BigIntegerField(null=True, blank=True, help_text="recently-played cursor")
    api_calls = models.PositiveIntegerField(default=0, help_text="Spotify requests made by the last sync")
    error = models.CharField(max_length=300, blank=True)
    claimed_by = models.CharField(
        max_length=64, blank=True, help_text="the task that runs it: its redelivery may take it over"
    )

    def __str__(self) -> str:
        return f"sync of {self.user_id}: {self.state}"

    # Past the task's time limit (CELERY_TASK_TIME_LIMIT, 10 min) a "running" sync died with its worker.
    DEAD_AFTER = timedelta(minutes=15)

    def died(self, now: datetime | None = None) -> bool:
        """Still marked running long after any worker could be running it: nobody is."""
        now = now or timezone.now()
        return (
            self.state == self.State.RUNNING
            and self.started_at is not None
            and self.started_at < now - self.DEAD_AFTER
        )


class PlaylistWrite(models.Model):
    """One write the agent or a button made to a listener's Spotify playlists: what undo reverses,
    and what is checked when Spotify did not answer in time (``spotify.playlist_writes``)."""

    class Action(models.TextChoices):
        CREATED = "created", "Created a playlist"
        ADDED = "added", "Added tracks"
        REMOVED = "removed", "Removed tracks"

    class State(models.TextChoices):
        DONE = "done", "Done"
        UNCERTAIN = "uncertain", "Spotify did not answer; being checked"
        NOT_DONE = "not_done", "Checked: it did not happen"
        UNDONE = "undone", "Undone"

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="playlist_writes"
    )
    playlist = models.ForeignKey(Playlist, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    name = models.CharField(max_length=100, help_text="the playlist's name when the write was made")
    action = models.CharField(max_length=10, choices=Action.choices)
    track_spotify_ids = models.JSONField(default=list, blank=True)
    state = models.CharField(max_length=10, choices=State.choices, default=State.DONE)
    known_before = models.JSONField(
        default=list, blank=True, help_text="for an unanswered create: the listener's playlist ids before it"
    )
    was_uncertain = models.BooleanField(default=False, help_text="Spotify did not answer it in time")
    told_at = models.DateTimeField(null=True, blank=True, help_text="when the listener was told how it ended")
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    settled_at = models.DateTimeField(null=True, blank=True, help_text="when it was checked or undone")

    class Meta:
        indexes = [models.Index(fields=["user", "-created_at"])]

    def __str__(self) -> str:
        return f"{self.action} {self.name!r} for {self.user_id} ({self.state})"


# --- a listener's Spotify data download ("Download your data"), imported --------------------------
# Everything below is learned from an import and never from the Web API: disconnecting Spotify
# keeps these rows (and plays with ``source == PlaySource.IMPORT``).


class DataImport(models.Model):
    """One upload of a listener's Spotify data download, read by a worker; its progress and findings.

    ``uploads`` names the stored files while they wait (the worker deletes them once read); the
    counts grow as the worker reads, so the Library page can show them live.
    """

    class State(models.TextChoices):
        QUEUED = "queued", "Waiting to start"
        RUNNING = "running", "Importing"
        DONE = "done", "Imported"
        FAILED = "failed", "Failed"

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="data_imports")
    state = models.CharField(max_length=10, choices=State.choices, default=State.QUEUED)
    step = models.CharField(max_length=200, blank=True, help_text="what the running import is reading now")
    uploads = models.JSONField(
        default=list, blank=True, help_text="[{name, stored, size}] of files waiting to be read"
    )
    files_total = models.PositiveIntegerField(default=0, help_text="Spotify files found in the upload")
    files_done = models.PositiveIntegerField(default=0, help_text="of them read (or already imported)")
    rows = models.PositiveIntegerField(default=0, help_text="records read: plays, library and playlist items")
    track_rows = models.PositiveIntegerField(default=0, help_text="of them naming a music track")
    matched = models.PositiveIntegerField(default=0, help_text="of those, matched to a catalog track")
    summary = models.JSONField(default=dict, blank=True)
    error = models.CharField(max_length=600, blank=True, help_text="what went wrong, in plain words")
    claimed_by = models.CharField(max_length=64, blank=True, help_text="the task reading it")
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["user", "-created_at"])]

    def __str__(self) -> str:
        return f"import {self.pk} of {self.user_id}: {self.state}"

    # Past the task's time limit a "running" import died with its worker.
    DEAD_AFTER = timedelta(minutes=45)

    def died(self, now: datetime | None = None) -> bool:
        now = now or timezone.now()
        since = self.started_at or self.created_at
        return self.state in (self.State.QUEUED, self.State.RUNNING) and since < now - self.DEAD_AFTER


class ImportedFile(models.Model):
    """One JSON file of a download, fully imported for a listener: its content hash makes the
    same file, uploaded again (alone or in another ZIP), a no-op."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    sha256 = models.CharField(max_length=64)
    name = models.CharField(max_length=200)
    kind = models.CharField(max_length=20)
    rows = models.PositiveIntegerField(default=0)
    first_at = models.DateTimeField(null=True, blank=True, help_text="its earliest play, if it has plays")
    last_at = models.DateTimeField(null=True, blank=True, help_text="its latest play")
    data_import = models.ForeignKey(
        DataImport, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    imported_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=("user", "sha256"), name="unique_imported_file")]

    def __str__(self) -> str:
        return f"{self.name} for {self.user_id}"


class ImportedTrack(models.Model):
    """A catalog track in a listener's imported download: what recall and ranking read of it.

    ``plays``, ``skips``, ``ms_played`` and ``last_played_at`` are recounted from the listener's
    imported plays after every import; ``saved``, ``banned`` and ``playlists`` come from
    YourLibrary.json and Playlist*.json and only ever grow (an import adds, never forgets).
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="imported_tracks"
    )
    track = models.ForeignKey(Track, on_delete=models.CASCADE, related_name="+")
    plays = models.PositiveIntegerField(default=0, help_text="streams of 30 s or more, not skipped")
    skips = models.PositiveIntegerField(default=0, help_text="streams skipped or shorter than 30 s")
    ms_played = models.BigIntegerField(default=0)
    last_played_at = models.DateTimeField(null=True, blank=True)
    saved = models.BooleanField(default=False, help_text="in Liked Songs (YourLibrary.json)")
    banned = models.BooleanField(default=False, help_text="hidden by the listener (YourLibrary.json)")
    playlists = models.PositiveSmallIntegerField(
        default=0, help_text="of the listener's playlists holding it"
    )

    class Meta:
        constraints = [models.UniqueConstraint(fields=("user", "track"), name="unique_imported_track")]
        indexes = [models.Index(fields=["user", "-plays"])]

    def __str__(self) -> str:
        return f"{self.user_id} imported {self.track_id} ({self.plays} plays)"


class ImportedArtist(models.Model):
    """A catalog artist in a listener's imported download: followed, their albums saved, hidden,
    and streams of their tracks the catalog lacks (matched by the artist's name alone)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="imported_artists"
    )
    artist = models.ForeignKey(Artist, on_delete=models.CASCADE, related_name="+")
    followed = models.BooleanField(default=False)
    saved_albums = models.PositiveSmallIntegerField(default=0)
    banned = models.BooleanField(default=False)
    other_plays = models.PositiveIntegerField(
        default=0, help_text="streams (30 s or more) of their tracks we do not hold"
    )

    class Meta:
        constraints = [models.UniqueConstraint(fields=("user", "artist"), name="unique_imported_artist")]

    def __str__(self) -> str:
        return f"{self.user_id} imported artist {self.artist_id}"
