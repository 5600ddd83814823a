"""The audit trail: who read or changed personal data; append-only; no personal values."""

from datetime import timedelta
from uuid import UUID

import pytest
import time_machine
from django.db import DatabaseError, connection, transaction
from django.utils import timezone

from arrivals import services
from privacy.models import AuditAction, AuditEntry
from privacy.services import audit_record

from .conftest import PARTIES, body, party_url

pytestmark = pytest.mark.django_db

PHONE = "+7 701 123-45-67"


@pytest.fixture
def entry(db):
    audit_record(actor_id=1, actor="coord", action=AuditAction.READ, object_type="party",
                 object_ids=["p-1"])  # fmt: skip
    return AuditEntry.objects.get()


def test_an_entry_cannot_be_changed_or_deleted_through_the_model(entry):
    entry.actor = "someone else"
    with pytest.raises(PermissionError):
        entry.save()
    with pytest.raises(PermissionError):
        entry.delete()
    with pytest.raises(PermissionError):
        AuditEntry.objects.filter(id=entry.id).update(actor="x")
    with pytest.raises(PermissionError):
        AuditEntry.objects.filter(id=entry.id).delete()
    with pytest.raises(PermissionError):
        AuditEntry.objects.all().delete()
    with pytest.raises(PermissionError):
        AuditEntry.objects.bulk_update([entry], ["actor"])
    stored = AuditEntry.objects.get()
    assert (stored.actor, stored.object_id) == ("coord", "p-1")


def test_new_entries_can_be_added(entry):
    AuditEntry.objects.create(
        actor="x", action=AuditAction.READ, object_type="party", object_id="2"
    )
    assert AuditEntry.objects.count() == 2


@pytest.mark.postgres
@pytest.mark.parametrize(
    "sql",
    [
        "UPDATE privacy_auditentry SET actor = 'forged'",
        "DELETE FROM privacy_auditentry",
    ],
)
def test_the_database_refuses_raw_updates_and_deletes(entry, sql):
    with (
        pytest.raises(DatabaseError, match="append-only"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute(sql)
    with connection.cursor() as cursor:
        cursor.execute("SELECT actor, object_id FROM privacy_auditentry")
        assert cursor.fetchall() == [("coord", "p-1")]


def test_no_personal_value_appears_in_any_audit_row(
    coordinator_client, manager_client, city, space, volunteer_client
):
    family_names = ["Nurlanova", "Abenov"]
    members = [
        {"given_name": "Aigerim", "family_name": family_names[0]},
        {"given_name": "Timur", "family_name": family_names[1], "age_group": "child"},
    ]
    response = coordinator_client.post(
        PARTIES, body(city, members=members), format="json", HTTP_IDEMPOTENCY_KEY="a"
    )
    party_id = response.data["id"]
    coordinator_client.post(PARTIES, body(city, members=members), format="json",
                            HTTP_IDEMPOTENCY_KEY="a")  # fmt: skip
    coordinator_client.get(party_url(party_id))
    coordinator_client.get(PARTIES)
    services.placement_create(party_id=UUID(party_id), space_id=space.id, actor="c")
    manager_client.get(party_url(party_id))
    manager_client.post(party_url(party_id, "check-in"))
    manager_client.post(party_url(party_id, "check-out"))
    with time_machine.travel(timezone.now() + timedelta(days=31)):
        services.personal_data_erase()

    actions = set(AuditEntry.objects.values_list("action", flat=True))
    assert actions == {AuditAction.CREATE, AuditAction.READ, AuditAction.ERASE}
    with connection.cursor() as cursor:
        cursor.execute("SELECT * FROM privacy_auditentry")
        rows = repr(cursor.fetchall())
    for value in [*family_names, "Aigerim", "Timur", PHONE, "77011234567", "7011234567"]:
        assert value not in rows
    assert party_id in rows or party_id.replace("-", "") in rows
