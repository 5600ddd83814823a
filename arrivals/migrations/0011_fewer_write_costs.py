"""Less for each party a matching run places to write (issue 13's national run).

- A slip link is the party's code and a MAC of it (`arrivals.models.slip_code`): no
  stored token, and no unique index of one. Links made before stop opening.
- The phone-digest index holds only parties with a phone.
- A history line's party and a placement's run have no foreign-key constraint in the
  database (Django keeps CASCADE and SET_NULL).
"""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('arrivals', '0010_waiting_reason_label'),
        ('shelters', '0005_host_offer_opens_on_first_day'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.RemoveConstraint(
            model_name='party',
            name='party_slip_token_unique',
        ),
        migrations.RemoveIndex(
            model_name='party',
            name='party_contact_phone_digest',
        ),
        migrations.RemoveField(
            model_name='party',
            name='slip_token',
        ),
        migrations.AlterField(
            model_name='partyevent',
            name='party',
            field=models.ForeignKey(db_constraint=False, on_delete=django.db.models.deletion.CASCADE, related_name='events', to='arrivals.party', verbose_name='party'),
        ),
        migrations.AlterField(
            model_name='placement',
            name='run',
            field=models.ForeignKey(blank=True, db_constraint=False, db_index=False, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='placements', to='arrivals.matchingrun', verbose_name='matching run'),
        ),
        migrations.AddIndex(
            model_name='party',
            index=models.Index(condition=models.Q(('contact_phone_digest', ''), _negated=True), fields=['contact_phone_digest'], name='party_contact_phone_digest'),
        ),
    ]
