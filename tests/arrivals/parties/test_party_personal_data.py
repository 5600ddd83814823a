"""Family names and phones: encrypted at rest, shown only to those who may see them,
and every showing of them is audited."""

import os
import subprocess
import sys
from io import StringIO

import pytest
from cryptography.fernet import Fernet
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.management import CommandError, call_command
from django.db import connection
from django.test import override_settings

from accounts.access import access_for_user
from accounts.models import Role
from arrivals import selectors, services
from arrivals.models import Party, PartyMember
from privacy.crypto import decrypt
from privacy.models import AuditAction, AuditEntry
from tests import factories

from .conftest import PARTIES, body, party_url

pytestmark = pytest.mark.django_db

PHONE = "+7 701 123-45-67"
PHONE_DIGITS = "77011234567"
FAMILY_NAME = "Nurlanova"


def raw_party(party_id) -> dict:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT contact_phone, contact_phone_digest, notes, registration_point "
            "FROM arrivals_party WHERE id = %s",
            [party_id.hex if connection.vendor == "sqlite" else party_id],
        )
        phone, digest, notes, point = cursor.fetchone()
    return {"contact_phone": phone, "digest": digest, "notes": notes, "point": point}


def raw_family_names(party_id) -> list:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT family_name FROM arrivals_partymember WHERE party_id = %s ORDER BY position",
            [party_id.hex if connection.vendor == "sqlite" else party_id],
        )
        return [row[0] for row in cursor.fetchall()]


# --- Encryption at rest --------------------------------------------------------


def test_phone_and_family_name_are_encrypted_at_rest(register):
    party = register()

    row = raw_party(party.id)
    assert row["contact_phone"]
    assert PHONE not in row["contact_phone"]
    assert PHONE_DIGITS not in row["contact_phone"]
    assert "7011234567" not in row["digest"]
    assert decrypt(row["contact_phone"]) == PHONE
    assert row["notes"] == "Arrived by the night train"  # not personal data: in clear

    names = raw_family_names(party.id)
    assert names[1] is None  # no family name given: nothing stored
    assert names[0] and FAMILY_NAME not in names[0]
    assert decrypt(names[0]) == FAMILY_NAME

    party.refresh_from_db()
    assert party.contact_phone == PHONE
    assert party.members.order_by("position").first().family_name == FAMILY_NAME


def test_no_plaintext_anywhere_in_the_database(register, coordinator_client, city):
    """Including the stored idempotent answer, which a coordinator's registration carries."""
    response = coordinator_client.post(
        PARTIES, body(city), format="json", HTTP_IDEMPOTENCY_KEY="k-1"
    )
    assert response.status_code == 201
    assert response.data["contact_phone"] == PHONE  # the coordinator sees it...

    tables = ["arrivals_party", "arrivals_partymember", "idempotency_idempotencykey"]
    with connection.cursor() as cursor:
        for table in tables:
            cursor.execute(f"SELECT * FROM {table}")  # noqa: S608 - fixed names
            dump = repr(cursor.fetchall())
            assert FAMILY_NAME not in dump, table  # ...but no table holds it in clear
            assert PHONE not in dump and PHONE_DIGITS not in dump, table


def test_encryption_key_comes_from_the_environment():
    key = Fernet.generate_key().decode()
    env = {
        **os.environ,
        "FIELD_ENCRYPTION_KEY": key,
        "DJANGO_SETTINGS_MODULE": "config.settings.test",
    }
    code = "import django; django.setup(); from django.conf import settings; "
    code += "print(settings.FIELD_ENCRYPTION_KEY)"
    result = subprocess.run(  # noqa: S603
        [sys.executable, "-c", code],
        env=env,
        capture_output=True,
        text=True,
        check=True,
        cwd=settings.BASE_DIR,
    )
    assert result.stdout.strip() == key


def test_rotation_with_personal_data_rekey(city):
    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    with override_settings(FIELD_ENCRYPTION_KEY=old):
        party = services.party_register(
            city=city,
            members=[{"given_name": "A", "family_name": FAMILY_NAME}],
            actor_id=None,
            actor="t",
            consent=True,
            contact_phone=PHONE,
        )
        erased = factories.PartyFactory(city=city, members=[{"given_name": "B"}])
    token_before = raw_party(party.id)["contact_phone"]
    Fernet(old.encode()).decrypt(token_before.encode())

    with override_settings(FIELD_ENCRYPTION_KEY=f"{new},{old}"):
        party.refresh_from_db()
        assert party.contact_phone == PHONE  # old rows stay readable with "new,old"
        call_command("personal_data_rekey", "--batch-size", "1", stdout=StringIO())

    token_after = raw_party(party.id)["contact_phone"]
    assert token_after != token_before
    assert Fernet(new.encode()).decrypt(token_after.encode()).decode() == PHONE
    with override_settings(FIELD_ENCRYPTION_KEY=new):
        party = Party.objects.get(id=party.id)
        assert party.contact_phone == PHONE
        assert party.members.get().family_name == FAMILY_NAME
        assert Party.objects.get(id=erased.id).contact_phone is None
    with override_settings(FIELD_ENCRYPTION_KEY=old), pytest.raises(ImproperlyConfigured):
        Party.objects.get(id=party.id)


def test_rekey_refuses_values_no_listed_key_can_read(city):
    with override_settings(FIELD_ENCRYPTION_KEY=Fernet.generate_key().decode()):
        party = services.party_register(
            city=city,
            members=[{"given_name": "A"}],
            actor_id=None,
            actor="t",
            consent=True,
            contact_phone=PHONE,
        )
    token = raw_party(party.id)["contact_phone"]
    with pytest.raises(CommandError):
        call_command("personal_data_rekey", stdout=StringIO())
    assert raw_party(party.id)["contact_phone"] == token


# --- Who sees what -------------------------------------------------------------

PERSONAL = {"contact_phone"}
MEMBER_PERSONAL = {"family_name"}


def keys_seen(response):
    assert response.status_code == 200, response.content
    data = response.json()
    return set(data) & PERSONAL, set().union(*(set(m) for m in data["members"])) & MEMBER_PERSONAL


def assert_sees(response):
    assert keys_seen(response) == (PERSONAL, MEMBER_PERSONAL)
    data = response.json()
    assert data["contact_phone"] == PHONE
    assert data["members"][0]["family_name"] == FAMILY_NAME
    assert data["members"][1]["family_name"] is None


def assert_does_not_see(response):
    assert keys_seen(response) == (set(), set())
    content = response.content.decode()
    assert FAMILY_NAME not in content
    assert PHONE not in content
    assert "contact_phone" not in content and "family_name" not in content


def test_coordinator_of_the_city_sees_personal_data(placed, coordinator_client):
    assert_sees(coordinator_client.get(party_url(placed.id)))


def test_superuser_sees_personal_data(placed, superuser_client):
    assert_sees(superuser_client.get(party_url(placed.id)))


def test_manager_sees_personal_data_while_the_party_is_held_or_checked_in(placed, manager_client):
    assert_sees(manager_client.get(party_url(placed.id)))
    assert_sees(manager_client.post(party_url(placed.id, "check-in")))
    assert_sees(manager_client.get(party_url(placed.id)))
    # Once the party has left, the manager still finds it, without personal data.
    assert_does_not_see(manager_client.post(party_url(placed.id, "check-out")))
    assert_does_not_see(manager_client.get(party_url(placed.id)))


def test_volunteer_does_not_see_personal_data(placed, volunteer_client):
    assert_does_not_see(volunteer_client.get(party_url(placed.id)))


def test_volunteer_registration_answer_holds_no_personal_data(volunteer_client, city):
    response = volunteer_client.post(PARTIES, body(city), format="json")
    assert response.status_code == 201
    response.status_code = 200  # same checks as a read
    assert_does_not_see(response)


def test_coordinator_registration_answer_holds_personal_data(coordinator_client, city):
    response = coordinator_client.post(PARTIES, body(city), format="json")
    assert response.status_code == 201
    response.status_code = 200
    assert_sees(response)


def test_api_key_does_not_see_personal_data(placed, api_key_client):
    assert_does_not_see(api_key_client.get(party_url(placed.id)))
    listed = api_key_client.get(PARTIES)
    assert listed.status_code == 200
    assert "contact_phone" not in listed.content.decode()


def test_manager_of_another_shelter_does_not_see_personal_data(
    placed, space, other_manager_client, other_manager, other_shelter
):
    # A manager of two shelters sees the party (placed in one of them) only there.
    other_manager.membership.shelters.add(space.shelter)
    response = other_manager_client.get(party_url(placed.id))
    assert_sees(response)
    other_manager.membership.shelters.remove(space.shelter)
    assert other_manager_client.get(party_url(placed.id)).status_code == 404


def test_manager_of_the_shelter_a_party_left_does_not_see_it_in_its_new_state(
    checked_in, manager_client, other_shelter, coordinator_client
):
    assert coordinator_client.post(party_url(checked_in.id, "check-out")).status_code == 200
    assert_does_not_see(manager_client.get(party_url(checked_in.id)))


def test_list_shows_personal_data_party_by_party(
    placed, register, manager_client, coordinator_client, volunteer_client
):
    waiting = register()
    by_id = {p["id"]: p for p in coordinator_client.get(PARTIES).json()["results"]}
    assert by_id[str(waiting.id)]["contact_phone"] == PHONE
    assert by_id[str(placed.id)]["contact_phone"] == PHONE

    managed = manager_client.get(PARTIES).json()["results"]
    assert [p["id"] for p in managed] == [str(placed.id)]
    assert managed[0]["contact_phone"] == PHONE

    for party in volunteer_client.get(PARTIES).json()["results"]:
        assert "contact_phone" not in party
        assert all("family_name" not in m for m in party["members"])


@pytest.mark.parametrize(
    "request_",
    [
        lambda c, p: c.get(PARTIES),
        lambda c, p: c.get(party_url(p.id)),
        lambda c, p: c.get(PARTIES, {"code": p.code}),
        lambda c, p: c.post(party_url(p.id, "check-in")),
        lambda c, p: c.get(party_url("00000000-0000-0000-0000-000000000000")),
        lambda c, p: c.post(party_url(p.id, "check-out")),
    ],
)
def test_party_answers_are_not_cached(placed, coordinator_client, request_):
    response = request_(coordinator_client, placed)
    assert response["Cache-Control"] == "no-store"


def test_registration_answers_are_not_cached(coordinator_client, city):
    response = coordinator_client.post(PARTIES, body(city), format="json")
    assert response.status_code == 201
    assert response["Cache-Control"] == "no-store"
    replay = coordinator_client.post(PARTIES, body(city), format="json", HTTP_IDEMPOTENCY_KEY="x")
    assert replay["Cache-Control"] == "no-store"


# --- Audit of reads ------------------------------------------------------------


def reads(party=None):
    entries = AuditEntry.objects.filter(action=AuditAction.READ)
    if party is not None:
        entries = entries.filter(object_id=str(party.id))
    return entries


def test_coordinator_read_is_audited(placed, coordinator_client, coordinator):
    assert not reads().exists()
    assert coordinator_client.get(party_url(placed.id)).status_code == 200

    entry = reads(placed).get()
    assert (entry.actor_id, entry.actor, entry.object_type) == (
        coordinator.id,
        coordinator.username,
        "party",
    )
    assert entry.at is not None


def test_coordinator_list_audits_each_party_shown(placed, register, coordinator_client):
    waiting = register()
    assert coordinator_client.get(PARTIES).status_code == 200
    assert set(reads().values_list("object_id", flat=True)) == {str(placed.id), str(waiting.id)}


def test_manager_reads_and_actions_are_audited(placed, manager_client, manager):
    assert manager_client.get(party_url(placed.id)).status_code == 200
    assert manager_client.post(party_url(placed.id, "check-in")).status_code == 200
    entries = list(reads(placed))
    assert len(entries) == 2
    assert {e.actor for e in entries} == {manager.username}


def test_volunteer_and_api_key_reads_are_not_audited(placed, volunteer_client, api_key_client):
    assert volunteer_client.get(party_url(placed.id)).status_code == 200
    assert volunteer_client.get(PARTIES).status_code == 200
    assert api_key_client.get(party_url(placed.id)).status_code == 200
    assert not reads().exists()


def test_a_read_that_shows_no_personal_data_is_not_audited(coordinator_client, city):
    party = services.party_register(
        city=city, members=[{"given_name": "A"}], actor_id=None, actor="t", consent=True
    )
    assert coordinator_client.get(party_url(party.id)).status_code == 200
    assert not reads(party).exists()


def test_registration_is_audited_as_a_creation(volunteer_client, volunteer, city):
    response = volunteer_client.post(PARTIES, body(city), format="json")
    entry = AuditEntry.objects.get(object_id=response.data["id"])
    assert (entry.action, entry.actor_id, entry.actor) == (
        AuditAction.CREATE,
        volunteer.id,
        volunteer.username,
    )


def test_members_keep_their_order_and_family_names(coordinator_client, city):
    members = [{"given_name": f"P{i}", "family_name": f"F{i}"} for i in range(5)]
    response = coordinator_client.post(PARTIES, body(city, members=members), format="json")
    assert response.status_code == 201
    assert [m["family_name"] for m in response.data["members"]] == [f"F{i}" for i in range(5)]
    stored = PartyMember.objects.filter(party_id=response.data["id"]).order_by("position")
    assert [m.family_name for m in stored] == [f"F{i}" for i in range(5)]


@pytest.mark.parametrize(
    "role, in_city",
    [
        (Role.VOLUNTEER, True),
        (Role.COORDINATOR, True),
        (Role.COORDINATOR, False),
        (Role.SHELTER_MANAGER, True),
        ("superuser", False),
    ],
)
def test_a_new_partys_personal_data_is_shown_as_it_is_once_written(city, other_city, role, in_city):
    """A registration's answer is built before the party is written: who sees its
    personal data is decided without a query, as the query decides once it is."""
    if role == "superuser":
        user = factories.UserFactory(is_superuser=True)
    elif role == Role.SHELTER_MANAGER:
        user = factories.member(role, shelters=[factories.ShelterFactory(city=city)])
    else:
        user = factories.member(role, cities=[city if in_city else other_city])
    access = access_for_user(user)
    party = Party(city=city, code="NEWONE")

    before = selectors.party_new_personal_data_visible(access=access, party=party)
    party = services.party_register(
        city=city, members=[{"given_name": "A"}], actor_id=None, actor="t", consent=True
    )
    written = selectors.parties_personal_data_visible(access=access, parties=[party])

    assert before == (party.id in written)
    assert before == (role == "superuser" or (role == Role.COORDINATOR and in_city))
