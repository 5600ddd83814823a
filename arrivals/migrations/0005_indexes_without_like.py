"""The same uniqueness and lookups with fewer indexes on the parties and their members.

`unique=True` and `db_index=True` on a text column give it two indexes on PostgreSQL,
the second for `LIKE 'prefix%'`, which nothing here asks; the city's own index is covered
by (city, status, waiting_since). The new constraints and indexes are made before the old
ones are dropped, so the codes are never without their uniqueness.
"""

from importlib import import_module

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

# The model's default then, kept in 0003 (slip tokens are no longer stored: 0011).
new_slip_token = import_module(
    "arrivals.migrations.0003_waiting_reason_slip_token_family_name_digest"
).new_slip_token

class Migration(migrations.Migration):

    dependencies = [
        ('arrivals', '0004_capacity_snapshot'),
        ('shelters', '0004_shelter_status_reason'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddIndex(
            model_name='party',
            index=models.Index(fields=['contact_phone_digest'], name='party_contact_phone_digest'),
        ),
        migrations.AddIndex(
            model_name='partymember',
            index=models.Index(fields=['family_name_digest'], name='member_family_name_digest'),
        ),
        migrations.AddConstraint(
            model_name='party',
            constraint=models.UniqueConstraint(fields=('code',), name='party_code_unique'),
        ),
        migrations.AddConstraint(
            model_name='party',
            constraint=models.UniqueConstraint(fields=('slip_token',), name='party_slip_token_unique'),
        ),
        migrations.AlterField(
            model_name='party',
            name='city',
            field=models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.PROTECT, related_name='parties', to='shelters.city', verbose_name='city'),
        ),
        migrations.AlterField(
            model_name='party',
            name='code',
            field=models.CharField(max_length=6, verbose_name='code'),
        ),
        migrations.AlterField(
            model_name='party',
            name='contact_phone_digest',
            field=models.CharField(blank=True, max_length=64, verbose_name='contact phone digest'),
        ),
        migrations.AlterField(
            model_name='party',
            name='slip_token',
            field=models.CharField(default=new_slip_token, editable=False, max_length=32, verbose_name='slip token'),
        ),
        migrations.AlterField(
            model_name='partymember',
            name='family_name_digest',
            field=models.CharField(blank=True, max_length=64, verbose_name='family name digest'),
        ),
    ]
