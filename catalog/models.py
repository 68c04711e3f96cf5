"""The music we know, whatever told us about it: imported catalogs, the demo, Spotify sync.

Rows are keyed by Spotify ids. Fields Spotify no longer serves (popularity, artist genres,
audio features) come from imported data and stay null for tracks we only know from the Web
API. Playlists are catalog playlists (``owner`` null: the popular public pool) or a
listener's own, mirrored from their Spotify. ``catalog.services`` is the one write path.

Genres are derived: an artist's is the consensus of every labelled playlist its tracks appear
on (``catalog.genre_consensus``), a track's that of its credited artists; the label a file gave
a track is kept beside it (``playlist_genre``). A track's explicitness is what Spotify (or an
imported file) said, else our estimate when it is clearly explicit, else unknown (null), and
``explicit_source`` says which (``catalog.explicit``).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models


class Artist(models.Model):
    spotify_id = models.CharField(max_length=64, unique=True)
    name = models.CharField(max_length=300, db_index=True)
    # Derived by catalog.services from the catalog's playlists (db defaults: COPY never names them).
    genre = models.CharField(max_length=60, blank=True, default="", db_default="", db_index=True)
    subgenre = models.CharField(max_length=60, blank=True, default="", db_default="")
    genres = models.JSONField(default=list, blank=True, help_text="by consensus weight, heaviest first")

    def __str__(self) -> str:
        return self.name


class Album(models.Model):
    spotify_id = models.CharField(max_length=64, unique=True)
    name = models.CharField(max_length=500)
    release_date = models.CharField(max_length=10, blank=True)
    artists = models.ManyToManyField(Artist, related_name="albums", blank=True)
    # The cover Spotify serves (about 300 px): from a sync, or asked for lazily for imported tracks.
    image_url = models.URLField(max_length=500, blank=True, default="", db_default="")
    image_checked_at = models.DateTimeField(
        null=True,
        blank=True,
        help_text="when Spotify was last asked for this cover, so it is not asked again soon",
    )

    def __str__(self) -> str:
        return self.name


class ExplicitSource(models.TextChoices):
    """Who says whether a track is explicit; the first three outrank those after them."""

    SPOTIFY = "spotify", "Spotify"
    IMPORT = "import", "an imported file"
    ESTIMATE = "estimate", "our estimate"
    UNKNOWN = "", "nobody"


class Track(models.Model):
    spotify_id = models.CharField(max_length=64, unique=True)
    name = models.CharField(max_length=500, db_index=True)
    album = models.ForeignKey(Album, on_delete=models.SET_NULL, null=True, blank=True, related_name="tracks")
    artists: models.ManyToManyField[Artist, TrackArtist] = models.ManyToManyField(
        Artist, related_name="tracks", through="TrackArtist"
    )
    duration_ms = models.PositiveIntegerField(default=0)
    # None: nobody knows. True from an estimate only when the title or the artists make it clear.
    explicit = models.BooleanField(null=True, blank=True, default=None)
    explicit_source = models.CharField(
        max_length=10, choices=ExplicitSource.choices, blank=True, default="", db_default=""
    )
    isrc = models.CharField(max_length=20, blank=True)
    # From imported catalogs only (Spotify stopped serving these in 2024-2025).
    popularity = models.PositiveSmallIntegerField(null=True, blank=True)
    genre = models.CharField(max_length=60, blank=True, db_index=True, help_text="from its artists")
    subgenre = models.CharField(max_length=60, blank=True, db_index=True)  # "no more rap", genre focus
    playlist_genre = models.CharField(
        max_length=60, blank=True, default="", db_default="", help_text="the label its source file gave it"
    )
    playlist_subgenre = models.CharField(max_length=60, blank=True, default="", db_default="")
    valence = models.FloatField(null=True, blank=True)
    energy = models.FloatField(null=True, blank=True)
    danceability = models.FloatField(null=True, blank=True)
    tempo = models.FloatField(null=True, blank=True)
    acousticness = models.FloatField(null=True, blank=True)
    instrumentalness = models.FloatField(null=True, blank=True)
    speechiness = models.FloatField(null=True, blank=True)
    liveness = models.FloatField(null=True, blank=True)
    loudness = models.FloatField(null=True, blank=True)
    mode = models.SmallIntegerField(null=True, blank=True)
    key = models.SmallIntegerField(null=True, blank=True)

    def __str__(self) -> str:
        return self.name

    @property
    def artist_names(self) -> str:
        return ", ".join(link.artist.name for link in self.artist_links.all())


class TrackArtist(models.Model):
    track = models.ForeignKey(Track, on_delete=models.CASCADE, related_name="artist_links")
    artist = models.ForeignKey(Artist, on_delete=models.CASCADE, related_name="track_links")
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ("position",)
        constraints = [models.UniqueConstraint(fields=("track", "artist"), name="unique_track_artist")]

    def __str__(self) -> str:
        return f"{self.artist_id} on {self.track_id}"


class Playlist(models.Model):
    """A catalog playlist (``owner`` null: the popular public pool) or a listener's own."""

    spotify_id = models.CharField(max_length=64, unique=True)
    name = models.CharField(max_length=300)
    description = models.TextField(blank=True)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, null=True, blank=True, related_name="playlists"
    )
    genre = models.CharField(max_length=60, blank=True)
    subgenre = models.CharField(max_length=60, blank=True, default="", db_default="")
    # db_default: the catalog import writes with COPY/INSERT and never names this column.
    snapshot_id = models.CharField(
        max_length=120, blank=True, db_default="", help_text="Spotify's version; unchanged → skip items"
    )
    tracks: models.ManyToManyField[Track, PlaylistItem] = models.ManyToManyField(
        Track, through="PlaylistItem", related_name="playlists"
    )

    def __str__(self) -> str:
        return self.name


class PlaylistItem(models.Model):
    playlist = models.ForeignKey(Playlist, on_delete=models.CASCADE, related_name="items")
    track = models.ForeignKey(Track, on_delete=models.CASCADE, related_name="playlist_items")
    position = models.PositiveIntegerField()

    class Meta:
        ordering = ("position",)
        constraints = [
            models.UniqueConstraint(fields=("playlist", "position"), name="unique_playlist_position")
        ]

    def __str__(self) -> str:
        return f"{self.playlist_id}#{self.position}"


class DerivationRecord(models.Model):
    """What the last full derivation (consensus genres, explicit estimates) ran on, as a digest.

    A warm start compares it with the digest of what it would run on now (the demo file, the code
    that derives, the catalog's size) and skips a pass that would change nothing: at 50k tracks
    that pass alone took ~10 s of every restart.
    """

    key = models.CharField(max_length=40, unique=True)
    digest = models.CharField(max_length=64)
    recorded_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"{self.key}: {self.digest[:12]}"
