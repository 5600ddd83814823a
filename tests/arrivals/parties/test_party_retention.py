"""Personal data of parties closed longer than the retention period is erased;
what the counts need stays."""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.conf import settings
from django.test import override_settings
from django.utils import timezone

from arrivals import services, tasks
from arrivals.models import Party, PartyEvent, PartyMember, Placement
from privacy.models import AuditAction, AuditEntry

from .conftest import PARTIES, body, party_url

pytestmark = pytest.mark.django_db

START = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


@pytest.fixture
def departed(coordinator_client, city, space):
    """A party of two that registered, stayed and departed on START."""
    with time_machine.travel(START, tick=False):
        response = coordinator_client.post(PARTIES, body(city), format="json")
        party = Party.objects.get(id=response.data["id"])
        services.placement_create(
            party_id=party.id, space_id=space.id, actor="coord", reason="near the door"
        )
        assert coordinator_client.post(party_url(party.id, "check-in")).status_code == 200
        assert coordinator_client.post(party_url(party.id, "check-out")).status_code == 200
    party.refresh_from_db()
    return party


@pytest.fixture
def cancelled(volunteer_client, coordinator_client, city):
    with time_machine.travel(START, tick=False):
        response = volunteer_client.post(
            PARTIES, body(city, contact_phone="+7 702 000 00 00"), format="json"
        )
        party = Party.objects.get(id=response.data["id"])
        cancel = coordinator_client.post(
            party_url(party.id, "cancel"), {"reason": "Aigerim's brother came"}, format="json"
        )
        assert cancel.status_code == 200
    party.refresh_from_db()
    return party


def assert_kept(party):
    party = Party.objects.get(id=party.id)
    assert party.personal_data_erased_at is None
    assert party.contact_phone is not None
    assert party.contact_phone_digest
    assert party.notes
    names = list(party.members.order_by("position").values_list("given_name", flat=True))
    assert names == ["Aigerim", "Timur"]
    assert party.members.order_by("position").first().family_name == "Nurlanova"


def assert_erased(party, at):
    party = Party.objects.get(id=party.id)
    assert party.personal_data_erased_at == at
    assert party.contact_phone is None
    assert party.contact_phone_digest == ""
    assert party.notes == ""
    members = list(party.members.order_by("position"))
    assert [(m.given_name, m.family_name) for m in members] == [("", None), ("", None)]
    # What the counts need stays.
    assert (party.size, party.priority, party.status) in {(2, 4, "departed"), (2, 4, "cancelled")}
    assert [(m.sex, m.age_group, m.needs, m.diet) for m in members] == [
        ("female", "adult", ["pregnant"], ["halal"]),
        ("male", "child", [], []),
    ]
    assert party.languages == ["ru", "kk"]
    assert not PartyEvent.objects.filter(party=party).exclude(reason="").exists()
    assert not Placement.objects.filter(party=party).exclude(reason="").exists()


def test_default_retention_is_30_days():
    assert settings.PERSONAL_DATA_RETENTION_DAYS == 30


@pytest.mark.parametrize("days", [0, 1, 29, 30])
def test_kept_within_the_retention_period(departed, cancelled, days):
    with time_machine.travel(START + timedelta(days=days), tick=False):
        assert services.personal_data_erase() == 0
    assert_kept(departed)
    assert_kept(cancelled)
    assert not AuditEntry.objects.filter(action=AuditAction.ERASE).exists()


def test_erased_after_the_retention_period(departed, cancelled):
    at = START + timedelta(days=31)
    with time_machine.travel(at, tick=False):
        assert services.personal_data_erase() == 2
    assert_erased(departed, at)
    assert_erased(cancelled, at)


def test_boundary_to_the_second(departed):
    boundary = START + timedelta(days=30)
    with time_machine.travel(boundary, tick=False):
        assert services.personal_data_erase() == 0
    with time_machine.travel(boundary + timedelta(seconds=1), tick=False):
        assert services.personal_data_erase() == 1
    assert_erased(departed, boundary + timedelta(seconds=1))


@override_settings(PERSONAL_DATA_RETENTION_DAYS=7)
def test_the_retention_period_is_a_setting(departed):
    with time_machine.travel(START + timedelta(days=8), tick=False):
        assert services.personal_data_erase() == 1
    assert Party.objects.get(id=departed.id).contact_phone is None


def test_open_parties_are_never_erased(register, placed, checked_in):
    with time_machine.travel(timezone.now() + timedelta(days=365), tick=False):
        assert services.personal_data_erase() == 0
    for party in Party.objects.all():
        assert party.contact_phone is not None
        assert party.personal_data_erased_at is None


def test_erase_is_audited_without_personal_values(departed, cancelled):
    with time_machine.travel(START + timedelta(days=31), tick=False):
        services.personal_data_erase()

    entries = AuditEntry.objects.filter(action=AuditAction.ERASE)
    assert {e.object_id for e in entries} == {str(departed.id), str(cancelled.id)}
    assert {(e.actor, e.actor_id, e.object_type) for e in entries} == {("retention", None, "party")}


def test_erase_runs_once_per_party(departed):
    with time_machine.travel(START + timedelta(days=31), tick=False):
        assert services.personal_data_erase() == 1
    with time_machine.travel(START + timedelta(days=40), tick=False):
        assert services.personal_data_erase() == 0
    assert Party.objects.get(id=departed.id).personal_data_erased_at == START + timedelta(days=31)
    assert AuditEntry.objects.filter(action=AuditAction.ERASE).count() == 1


def test_erase_works_in_batches(city, volunteer_client, coordinator_client):
    with time_machine.travel(START, tick=False):
        ids = []
        for i in range(5):
            data = body(city, contact_phone=f"+7 700 000 00 0{i}")
            party_id = volunteer_client.post(PARTIES, data, format="json").data["id"]
            assert coordinator_client.post(party_url(party_id, "cancel")).status_code == 200
            ids.append(party_id)
    with time_machine.travel(START + timedelta(days=31), tick=False):
        assert services.personal_data_erase(batch=2) == 5
    assert not Party.objects.filter(id__in=ids, personal_data_erased_at__isnull=True).exists()
    assert PartyMember.objects.filter(party_id__in=ids).exclude(given_name="").count() == 0


def test_the_periodic_task_erases(departed):
    assert settings.CELERY_BEAT_SCHEDULE["personal-data-erase"]["task"] == (
        "arrivals.tasks.personal_data_erase"
    )
    with time_machine.travel(START + timedelta(days=31), tick=False):
        result = tasks.personal_data_erase.delay()
    assert result.get() == 1
    assert Party.objects.get(id=departed.id).contact_phone is None


def test_an_erased_party_still_reads_through_the_api(departed, coordinator_client):
    with time_machine.travel(START + timedelta(days=31), tick=False):
        services.personal_data_erase()
    response = coordinator_client.get(party_url(departed.id))
    assert response.status_code == 200
    assert response.data["contact_phone"] is None
    assert [m["given_name"] for m in response.data["members"]] == ["", ""]
    assert response.data["size"] == 2
    # Showing no personal data, this read is not audited.
    assert not AuditEntry.objects.filter(
        action=AuditAction.READ, object_id=str(departed.id), at__gt=START + timedelta(days=1)
    ).exists()
