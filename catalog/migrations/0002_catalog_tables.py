"""The catalog's tables take the app's name (``spotify_track`` → ``catalog_track``, …).

A rename keeps every row, index and foreign key (PostgreSQL follows the table, not its
name). Content types move with the models, so admin history and permissions stay attached.
"""

from django.db import migrations

MODELS = ("artist", "album", "track", "trackartist", "playlist", "playlistitem")


def content_types_move(from_label: str, to_label: str):
    def move(apps, schema_editor) -> None:
        content_types = apps.get_model("contenttypes", "ContentType").objects.using(schema_editor.connection.alias)
        for model in MODELS:
            old = content_types.filter(app_label=from_label, model=model).first()
            if old is None:
                continue
            # One made since (post_migrate) has no history of its own: the old one, with its log, wins.
            content_types.filter(app_label=to_label, model=model).delete()
            old.app_label = to_label
            old.save(update_fields=["app_label"])

    return move


class Migration(migrations.Migration):
    dependencies = [
        ("catalog", "0001_initial"),
        ("contenttypes", "0002_remove_content_type_name"),
        # After every migration that still names the old tables (their historical state does).
        ("spotify", "0003_catalog_moved"),
    ]

    operations = [
        *(migrations.AlterModelTable(name=model, table=None) for model in MODELS),
        migrations.RunPython(content_types_move("spotify", "catalog"), content_types_move("catalog", "spotify")),
    ]
