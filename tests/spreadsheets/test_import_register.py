"""A paper register of arrivals (one row per person, a party number grouping them)
imported through the registration service: members, encrypted names and phones, the
audit trail and the webhook outbox, as for a registration through the API."""

import pytest
from django.db import connection

from arrivals.models import Party, PartyMember
from privacy.models import AuditEntry
from spreadsheets.models import ImportedRow
from webhooks.models import Message

from .conftest import csv_file, upload, xlsx_file

pytestmark = pytest.mark.django_db

HEADER = [
    "party",
    "given_name",
    "family_name",
    "sex",
    "age_group",
    "needs",
    "diet",
    "contact_phone",
    "languages",
    "pets",
    "consent",
]
REGISTER = [
    HEADER,
    [
        "1",
        "Aigerim",
        "Nurlanova",
        "female",
        "adult",
        "",
        "halal",
        "+7 701 555 0101",
        "kk, ru",
        1,
        "yes",
    ],
    ["1", "Dana", "Nurlanova", "female", "child", "", "", "", "", "", ""],
    ["2", "Ivan", "Petrov", "male", "senior", "wheelchair", "", "", "ru", 0, "да"],
]


@pytest.mark.parametrize("make_file", [csv_file, xlsx_file], ids=["csv", "xlsx"])
def test_a_register_is_registered_through_the_service_and_twice_adds_nothing(
    coordinator_client, coordinator, city, make_file
):
    check = upload(coordinator_client, city, "parties", make_file(REGISTER)).json()
    assert check["status"] == "checked", check
    assert check["errors"] == []
    assert check["summary"] == {"created": 2}
    assert not Party.objects.exists()
    assert not AuditEntry.objects.exists()  # the check's writes were rolled back

    done = coordinator_client.post(f"/api/v1/imports/{check['id']}/confirm/").json()
    assert done["status"] == "done", done

    family = Party.objects.get(members__given_name="Aigerim")
    assert family.size == 2
    assert family.status == "waiting"
    assert family.contact_phone == "+7 701 555 0101"
    assert family.languages == ["kk", "ru"]
    assert family.pets == 1
    assert family.created_by_id == coordinator.id
    assert list(family.members.order_by("position").values_list("given_name", "age_group")) == [
        ("Aigerim", "adult"),
        ("Dana", "child"),
    ]
    senior = Party.objects.get(members__given_name="Ivan")
    assert senior.members.get().needs == ["wheelchair"]
    # Names and phones are encrypted at rest, as for a registration through the API.
    with connection.cursor() as cursor:
        cursor.execute("SELECT family_name FROM arrivals_partymember WHERE given_name = 'Ivan'")
        assert "Petrov" not in cursor.fetchone()[0]
    assert AuditEntry.objects.filter(action="create", object_type="party").count() == 2

    again = upload(coordinator_client, city, "parties", make_file(REGISTER)).json()
    assert again["summary"] == {"unchanged": 2}
    coordinator_client.post(f"/api/v1/imports/{again['id']}/confirm/")
    assert Party.objects.count() == 2
    assert PartyMember.objects.count() == 3
    assert ImportedRow.objects.count() == 2


def test_registered_parties_emit_their_webhook_events(coordinator_client, city):
    from tests.webhooks.conftest import subscribe

    subscribe(coordinator_client, city, "https://example.org/hook")
    check = upload(coordinator_client, city, "parties", csv_file(REGISTER)).json()
    assert not Message.objects.exists()  # a check sends nothing
    coordinator_client.post(f"/api/v1/imports/{check['id']}/confirm/")
    assert Message.objects.filter(type="party.registered").count() == 2


def test_bad_rows_of_a_register_are_reported_by_line(coordinator_client, city):
    rows = [
        HEADER,
        ["1", "Aigerim", "", "female", "adult", "", "", "+7 701 555 0101", "", "", "yes"],
        ["1", "Dana", "", "girl", "child", "", "", "", "", "", ""],  # line 3: sex
        ["2", "Ivan", "", "male", "adult", "", "", "12", "", "", "yes"],  # line 4: phone
        ["3", "Olga", "", "", "", "", "caviar", "", "", "", "no"],  # line 5: diet, consent
        ["4", "Petr", "", "", "", "", "", "", "", "20", "yes"],  # line 6: pets
        ["1", "Timur", "", "", "", "", "", "+7 701 000 0000", "", "", ""],  # line 7: phone differs
    ]
    job = upload(coordinator_client, city, "parties", csv_file(rows)).json()
    found = {(error["line"], error["column"]) for error in job["errors"]}
    assert found == {
        (3, "sex"),
        (4, "contact_phone"),
        (5, "diet"),
        (5, "consent"),
        (6, "pets"),
        (7, "contact_phone"),
    }
    assert not Party.objects.exists()


def test_errors_never_repeat_what_a_cell_held(coordinator_client, city):
    """Names typed into the wrong columns: the errors say which column and why, not the
    names (a job's errors are kept and shown, and no erasure reaches them)."""
    rows = [
        HEADER,
        ["1", "Anna", "", "+7 701 555", "Petrova Anna", "Sidorov", "Kuznetsova", "", "", "", "yes"],
    ]
    job = upload(coordinator_client, city, "parties", csv_file(rows)).json()
    assert {error["column"] for error in job["errors"]} >= {"sex", "age_group", "needs", "diet"}
    shown = str(job["errors"]).lower()
    for typed in ("petrova", "sidorov", "kuznetsova", "701 555"):
        assert typed not in shown, job["errors"]
    said = {error["column"]: error["message"] for error in job["errors"]}
    assert said["age_group"] == "Not one of the values this column takes."
    assert not Party.objects.exists()


def test_a_corrected_file_corrects_a_waiting_party_and_refuses_one_checked_in(
    coordinator_client, city
):
    first = upload(coordinator_client, city, "parties", csv_file(REGISTER)).json()
    coordinator_client.post(f"/api/v1/imports/{first['id']}/confirm/")
    ivan = Party.objects.get(members__given_name="Ivan")
    corrected = [row[:] for row in REGISTER]
    corrected[3][1] = "Vanya"  # party 2's name was misread
    corrected[3][9] = 1  # and it has a cat
    corrected.append(["3", "Olga", "", "female", "adult", "", "", "", "", "", "yes"])

    job = upload(coordinator_client, city, "parties", csv_file(corrected)).json()
    assert job["errors"] == []
    assert job["summary"] == {"unchanged": 1, "updated": 1, "created": 1}
    coordinator_client.post(f"/api/v1/imports/{job['id']}/confirm/")
    ivan.refresh_from_db()
    assert list(ivan.members.values_list("given_name", flat=True)) == ["Vanya"]
    assert ivan.pets == 1
    assert Party.objects.count() == 3
    # The same corrected file once more: nothing to do.
    again = upload(coordinator_client, city, "parties", csv_file(corrected)).json()
    assert again["summary"] == {"unchanged": 3}

    # A party already in its bed is not changed from a file.
    Party.objects.filter(id=ivan.id).update(status="checked_in")
    corrected[3][1] = "Ivan"
    job = upload(coordinator_client, city, "parties", csv_file(corrected)).json()
    assert [(e["line"], e["column"]) for e in job["errors"]] == [(4, "party")]
    assert "can no longer be corrected" in job["errors"][0]["message"]
