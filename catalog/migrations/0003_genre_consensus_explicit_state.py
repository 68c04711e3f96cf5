"""Genres by artist consensus, and explicitness as Spotify (or a file, or our estimate) says it.

- ``Artist.genre``/``subgenre``: the consensus genre, filled by the next catalog write
  (``seed_demo`` on every start, or ``import_catalog``), which recomputes every verdict.
- ``Track.playlist_genre``/``playlist_subgenre``: the label the source file gave; the genre a
  track had so far was exactly that, so it is copied.
- ``Playlist.subgenre``: read back from the description catalog playlists were written with
  ("genre · subgenre").
- ``Track.explicit`` becomes tri-state. Until now an import wrote False for "not said", so
  False is unknown (null); True only ever came from Spotify.
"""

from django.db import migrations, models

SEPARATOR = " · "


def forward(apps, schema_editor) -> None:
    alias = schema_editor.connection.alias
    Track = apps.get_model("catalog", "Track")
    Playlist = apps.get_model("catalog", "Playlist")
    Track.objects.using(alias).update(
        playlist_genre=models.F("genre"), playlist_subgenre=models.F("subgenre")
    )
    Track.objects.using(alias).filter(explicit=False).update(explicit=None, explicit_source="")
    Track.objects.using(alias).filter(explicit=True).update(explicit_source="spotify")
    for playlist in Playlist.objects.using(alias).filter(owner__isnull=True, description__contains=SEPARATOR):
        genre, _, subgenre = playlist.description.partition(SEPARATOR)
        if genre == playlist.genre:
            Playlist.objects.using(alias).filter(pk=playlist.pk).update(subgenre=subgenre[:60])


def backward(apps, schema_editor) -> None:
    Track = apps.get_model("catalog", "Track")
    Track.objects.using(schema_editor.connection.alias).filter(explicit__isnull=True).update(explicit=False)


class Migration(migrations.Migration):
    dependencies = [
        ("catalog", "0002_catalog_tables"),
    ]

    operations = [
        migrations.AddField(
            model_name="artist",
            name="genre",
            field=models.CharField(blank=True, db_default="", db_index=True, default="", max_length=60),
        ),
        migrations.AddField(
            model_name="artist",
            name="subgenre",
            field=models.CharField(blank=True, db_default="", default="", max_length=60),
        ),
        migrations.AlterField(
            model_name="artist",
            name="genres",
            field=models.JSONField(blank=True, default=list, help_text="by consensus weight, heaviest first"),
        ),
        migrations.AddField(
            model_name="playlist",
            name="subgenre",
            field=models.CharField(blank=True, db_default="", default="", max_length=60),
        ),
        migrations.AddField(
            model_name="track",
            name="explicit_source",
            field=models.CharField(
                blank=True,
                choices=[
                    ("spotify", "Spotify"),
                    ("import", "an imported file"),
                    ("estimate", "our estimate"),
                    ("", "nobody"),
                ],
                db_default="",
                default="",
                max_length=10,
            ),
        ),
        migrations.AddField(
            model_name="track",
            name="playlist_genre",
            field=models.CharField(
                blank=True,
                db_default="",
                default="",
                help_text="the label its source file gave it",
                max_length=60,
            ),
        ),
        migrations.AddField(
            model_name="track",
            name="playlist_subgenre",
            field=models.CharField(blank=True, db_default="", default="", max_length=60),
        ),
        migrations.AlterField(
            model_name="track",
            name="explicit",
            field=models.BooleanField(blank=True, default=None, null=True),
        ),
        migrations.AlterField(
            model_name="track",
            name="genre",
            field=models.CharField(blank=True, db_index=True, help_text="from its artists", max_length=60),
        ),
        migrations.RunPython(forward, backward),
    ]
