"""The music moved to ``catalog``: library rows point there, and ``spotify`` forgets the models.

State only: the tables stay (``catalog`` 0002 renames them), so no row is touched.
"""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("spotify", "0002_spotify_link_and_sync"),
        ("catalog", "0001_initial"),
        # Every other app's foreign keys must point at catalog before these models leave.
        ("recommender", "0004_catalog_moved"),
    ]

    state_operations = [
        migrations.AlterField(
            model_name="toptrack",
            name="track",
            field=models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name="+", to="catalog.track"),
        ),
        migrations.AlterField(
            model_name="topartist",
            name="artist",
            field=models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name="+", to="catalog.artist"),
        ),
        migrations.AlterField(
            model_name="play",
            name="track",
            field=models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name="+", to="catalog.track"),
        ),
        migrations.AlterField(
            model_name="followedartist",
            name="artist",
            field=models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name="+", to="catalog.artist"),
        ),
        migrations.RemoveField(model_name="album", name="artists"),
        migrations.RemoveField(model_name="track", name="artists"),
        migrations.RemoveField(model_name="playlist", name="tracks"),
        migrations.DeleteModel(name="PlaylistItem"),
        migrations.DeleteModel(name="TrackArtist"),
        migrations.DeleteModel(name="Playlist"),
        migrations.DeleteModel(name="Track"),
        migrations.DeleteModel(name="Album"),
        migrations.DeleteModel(name="Artist"),
    ]

    operations = [migrations.SeparateDatabaseAndState(state_operations=state_operations)]
