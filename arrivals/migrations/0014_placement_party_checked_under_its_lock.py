"""A placement's party has no foreign-key constraint in the database (issue 13's national
run): every writer of a placement holds the party's lock, and nothing deletes a party with
placements. See `arrivals.models.Placement.party`."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("arrivals", "0013_placement_space_checked_under_its_lock"),
    ]

    operations = [
        migrations.AlterField(
            model_name="placement",
            name="party",
            field=models.ForeignKey(
                db_constraint=False,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="placements",
                to="arrivals.party",
                verbose_name="party",
            ),
        ),
    ]
