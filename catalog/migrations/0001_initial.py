"""Catalog models move here from ``spotify``: state only, the tables stay as they are.

The tables keep their ``spotify_*`` names in this step (0002 renames them), so a database
from before the move keeps every row. ``spotify`` 0003 and ``recommender`` 0004 point their
foreign keys here, then ``spotify`` forgets the models.
"""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    initial = True

    dependencies = [
        ("spotify", "0002_spotify_link_and_sync"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    state_operations = [
        migrations.CreateModel(
            name="Artist",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("spotify_id", models.CharField(max_length=64, unique=True)),
                ("name", models.CharField(db_index=True, max_length=300)),
                ("genres", models.JSONField(blank=True, default=list)),
            ],
            options={"db_table": "spotify_artist"},
        ),
        migrations.CreateModel(
            name="Album",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("spotify_id", models.CharField(max_length=64, unique=True)),
                ("name", models.CharField(max_length=500)),
                ("release_date", models.CharField(blank=True, max_length=10)),
                ("artists", models.ManyToManyField(blank=True, related_name="albums", to="catalog.artist")),
            ],
            options={"db_table": "spotify_album"},
        ),
        migrations.CreateModel(
            name="Track",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("spotify_id", models.CharField(max_length=64, unique=True)),
                ("name", models.CharField(db_index=True, max_length=500)),
                ("duration_ms", models.PositiveIntegerField(default=0)),
                ("explicit", models.BooleanField(default=False)),
                ("isrc", models.CharField(blank=True, max_length=20)),
                ("popularity", models.PositiveSmallIntegerField(blank=True, null=True)),
                ("genre", models.CharField(blank=True, db_index=True, max_length=60)),
                ("subgenre", models.CharField(blank=True, max_length=60)),
                ("valence", models.FloatField(blank=True, null=True)),
                ("energy", models.FloatField(blank=True, null=True)),
                ("danceability", models.FloatField(blank=True, null=True)),
                ("tempo", models.FloatField(blank=True, null=True)),
                ("acousticness", models.FloatField(blank=True, null=True)),
                ("instrumentalness", models.FloatField(blank=True, null=True)),
                ("speechiness", models.FloatField(blank=True, null=True)),
                ("liveness", models.FloatField(blank=True, null=True)),
                ("loudness", models.FloatField(blank=True, null=True)),
                ("mode", models.SmallIntegerField(blank=True, null=True)),
                ("key", models.SmallIntegerField(blank=True, null=True)),
                (
                    "album",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="tracks",
                        to="catalog.album",
                    ),
                ),
            ],
            options={"db_table": "spotify_track"},
        ),
        migrations.CreateModel(
            name="TrackArtist",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("position", models.PositiveSmallIntegerField(default=0)),
                (
                    "artist",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE, related_name="track_links", to="catalog.artist"
                    ),
                ),
                (
                    "track",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE, related_name="artist_links", to="catalog.track"
                    ),
                ),
            ],
            options={
                "db_table": "spotify_trackartist",
                "ordering": ("position",),
                "constraints": [models.UniqueConstraint(fields=("track", "artist"), name="unique_track_artist")],
            },
        ),
        migrations.AddField(
            model_name="track",
            name="artists",
            field=models.ManyToManyField(related_name="tracks", through="catalog.TrackArtist", to="catalog.artist"),
        ),
        migrations.CreateModel(
            name="Playlist",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("spotify_id", models.CharField(max_length=64, unique=True)),
                ("name", models.CharField(max_length=300)),
                ("description", models.TextField(blank=True)),
                ("genre", models.CharField(blank=True, max_length=60)),
                (
                    "snapshot_id",
                    models.CharField(
                        blank=True,
                        db_default="",
                        help_text="Spotify's version; unchanged → skip items",
                        max_length=120,
                    ),
                ),
                (
                    "owner",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="playlists",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
            ],
            options={"db_table": "spotify_playlist"},
        ),
        migrations.CreateModel(
            name="PlaylistItem",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("position", models.PositiveIntegerField()),
                (
                    "playlist",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE, related_name="items", to="catalog.playlist"
                    ),
                ),
                (
                    "track",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE, related_name="playlist_items", to="catalog.track"
                    ),
                ),
            ],
            options={
                "db_table": "spotify_playlistitem",
                "ordering": ("position",),
                "constraints": [
                    models.UniqueConstraint(fields=("playlist", "position"), name="unique_playlist_position")
                ],
            },
        ),
        migrations.AddField(
            model_name="playlist",
            name="tracks",
            field=models.ManyToManyField(related_name="playlists", through="catalog.PlaylistItem", to="catalog.track"),
        ),
    ]

    operations = [migrations.SeparateDatabaseAndState(state_operations=state_operations)]
