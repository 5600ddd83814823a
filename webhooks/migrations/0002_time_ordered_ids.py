"""Webhook messages and deliveries take time-ordered ids (version 7 UUIDs, `config.ids.uuid7`)."""

from django.db import migrations, models

import config.ids


class Migration(migrations.Migration):
    dependencies = [
        ("webhooks", "0001_initial"),
    ]

    # A default made in Python: nothing changes in the database (on SQLite, Django would
    # otherwise copy each table to change it).
    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name="delivery",
                    name="id",
                    field=models.UUIDField(
                        default=config.ids.uuid7, editable=False, primary_key=True, serialize=False
                    ),
                ),
                migrations.AlterField(
                    model_name="message",
                    name="id",
                    field=models.UUIDField(
                        default=config.ids.uuid7, editable=False, primary_key=True, serialize=False
                    ),
                ),
            ]
        ),
    ]
