"""A placement's space has no foreign-key constraint in the database (issue 13's national
run): every writer of a placement holds the space's lock, and a space is deleted only
under it, refused once it has a placement. See `arrivals.models.Placement.space`."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("arrivals", "0012_run_superseded_by"),
        ("shelters", "0006_space_free_beds_index"),
    ]

    operations = [
        migrations.AlterField(
            model_name="placement",
            name="space",
            field=models.ForeignKey(
                db_constraint=False,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="placements",
                to="shelters.space",
                verbose_name="space",
            ),
        ),
    ]
