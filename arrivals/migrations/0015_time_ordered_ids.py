"""Parties, their members, placements and matching runs take time-ordered ids (version 7 UUIDs, `config.ids.uuid7`)."""

from django.db import migrations, models

import config.ids


class Migration(migrations.Migration):
    dependencies = [
        ("arrivals", "0014_placement_party_checked_under_its_lock"),
    ]

    # A default made in Python: nothing changes in the database (on SQLite, Django would
    # otherwise copy each table to change it).
    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name="matchingrun",
                    name="id",
                    field=models.UUIDField(
                        default=config.ids.uuid7, editable=False, primary_key=True, serialize=False
                    ),
                ),
                migrations.AlterField(
                    model_name="party",
                    name="id",
                    field=models.UUIDField(
                        default=config.ids.uuid7, editable=False, primary_key=True, serialize=False
                    ),
                ),
                migrations.AlterField(
                    model_name="partymember",
                    name="id",
                    field=models.UUIDField(
                        default=config.ids.uuid7, editable=False, primary_key=True, serialize=False
                    ),
                ),
                migrations.AlterField(
                    model_name="placement",
                    name="id",
                    field=models.UUIDField(
                        default=config.ids.uuid7, editable=False, primary_key=True, serialize=False
                    ),
                ),
            ]
        ),
    ]
