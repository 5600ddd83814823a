"""v1.1: why a party waits, its revision, its slip token, and a lookup hash of family names."""

import secrets

from django.db import migrations, models



def new_slip_token() -> str:
    # The model's default then (slip tokens are no longer stored: migration 0011).
    return secrets.token_urlsafe(16)


def fill(apps, schema_editor):
    from privacy.crypto import name_digest

    Party = apps.get_model("arrivals", "Party")
    PartyMember = apps.get_model("arrivals", "PartyMember")
    for party in Party.objects.filter(slip_token__isnull=True).only("id").iterator():
        Party.objects.filter(id=party.id).update(slip_token=new_slip_token())
    members = PartyMember.objects.exclude(family_name__isnull=True).only("id", "family_name")
    for member in members.iterator():
        digest = name_digest(member.family_name or "")
        if digest:
            PartyMember.objects.filter(id=member.id).update(family_name_digest=digest)


class Migration(migrations.Migration):
    dependencies = [
        ("arrivals", "0002_run_enqueued_at_event_reason"),
    ]

    operations = [
        migrations.AddField(
            model_name="party",
            name="waiting_reason",
            field=models.CharField(
                choices=[
                    ("not_yet_matched", "Not matched yet"),
                    ("no_capacity", "No free beds"),
                    ("no_accessible_space", "No wheelchair-accessible space"),
                    ("no_pet_friendly_space", "No pet-friendly space"),
                    ("no_admitting_space", "No space admits the party"),
                    ("party_too_large", "The party is larger than any space"),
                ],
                default="not_yet_matched",
                max_length=24,
                verbose_name="waiting reason",
            ),
        ),
        migrations.AddField(
            model_name="party",
            name="revision",
            field=models.PositiveIntegerField(default=0, verbose_name="revision"),
        ),
        migrations.AddField(
            model_name="party",
            name="slip_token",
            field=models.CharField(
                editable=False, max_length=32, null=True, verbose_name="slip token"
            ),
        ),
        migrations.AddField(
            model_name="partymember",
            name="family_name_digest",
            field=models.CharField(
                blank=True, db_index=True, max_length=64, verbose_name="family name digest"
            ),
        ),
        migrations.RunPython(fill, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="party",
            name="slip_token",
            field=models.CharField(
                default=new_slip_token,
                editable=False,
                max_length=32,
                unique=True,
                verbose_name="slip token",
            ),
        ),
    ]
