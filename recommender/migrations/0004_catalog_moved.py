"""Tracks now live in ``catalog``: the foreign keys point there (state only; same tables)."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("recommender", "0003_taste_mood_constraint"),
        ("catalog", "0001_initial"),
    ]

    state_operations = [
        migrations.AlterField(
            model_name="trackprofile",
            name="track",
            field=models.OneToOneField(
                on_delete=django.db.models.deletion.CASCADE, related_name="profile", to="catalog.track"
            ),
        ),
        migrations.AlterField(
            model_name="candidate",
            name="track",
            field=models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name="+", to="catalog.track"),
        ),
        migrations.AlterField(
            model_name="serveditem",
            name="track",
            field=models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name="+", to="catalog.track"),
        ),
        migrations.AlterField(
            model_name="feedback",
            name="track",
            field=models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name="+", to="catalog.track"),
        ),
    ]

    operations = [migrations.SeparateDatabaseAndState(state_operations=state_operations)]
