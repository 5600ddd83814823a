"""An index for incremental matching runs: the waiting parties of a city changed since the last run."""

from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('arrivals', '0005_indexes_without_like'),
        ('shelters', '0004_shelter_status_reason'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddIndex(
            model_name='party',
            index=models.Index(condition=models.Q(('status', 'waiting')), fields=['city', 'updated_at'], name='party_waiting_changed'),
        ),
    ]
