"""The erasure of closed parties' personal data finds them by a partial index that waiting and
placed parties (registrations, matching runs) never write to."""

from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('arrivals', '0006_party_waiting_changed_index'),
        ('shelters', '0004_shelter_status_reason'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.RemoveIndex(
            model_name='party',
            name='arrivals_pa_status_04d470_idx',
        ),
        migrations.AddIndex(
            model_name='party',
            index=models.Index(condition=models.Q(('personal_data_erased_at__isnull', True), ('status__in', ['departed', 'cancelled'])), fields=['status_changed_at'], name='party_to_erase'),
        ),
    ]
