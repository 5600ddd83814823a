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
    ["2", "Ivan", "Petrov", "male", "senior", "wheelchair", "", "", "Русский язык, uz", 0, "да"],
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
    assert senior.languages == ["ru", "uz"]  # by name or by code
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
    corrected[3][2] = "Petrenko"  # party 2's family name was misread
    corrected[3][9] = 1  # and it has a cat
    corrected.append(["3", "Olga", "", "female", "adult", "", "", "", "", "", "yes"])

    job = upload(coordinator_client, city, "parties", csv_file(corrected)).json()
    assert job["errors"] == []
    assert job["summary"] == {"unchanged": 1, "updated": 1, "created": 1}
    coordinator_client.post(f"/api/v1/imports/{job['id']}/confirm/")
    ivan.refresh_from_db()
    assert list(ivan.members.values_list("family_name", flat=True)) == ["Petrenko"]
    assert ivan.pets == 1
    assert Party.objects.count() == 3
    # The same corrected file once more: nothing to do.
    again = upload(coordinator_client, city, "parties", csv_file(corrected)).json()
    assert again["summary"] == {"unchanged": 3}

    # A party already in its bed is not changed from a file.
    Party.objects.filter(id=ivan.id).update(status="checked_in")
    corrected[3][2] = "Petrov"
    job = upload(coordinator_client, city, "parties", csv_file(corrected)).json()
    assert [(e["line"], e["column"]) for e in job["errors"]] == [(4, "party")]
    assert "can no longer be corrected" in job["errors"][0]["message"]


FULL_HEADER = [
    "party",
    "given_name",
    "family_name",
    "sex",
    "age_group",
    "needs",
    "languages",
    "pets",
    "nights_needed",
    "registration_point",
    "notes",
    "consent",
]
SHORT_HEADER = [
    "party",
    "given_name",
    "family_name",
    "sex",
    "age_group",
    "registration_point",
    "consent",
]


def imported(client, city, rows) -> dict:
    check = upload(client, city, "parties", csv_file(rows)).json()
    assert check["status"] == "checked" and check["errors"] == [], check
    done = client.post(f"/api/v1/imports/{check['id']}/confirm/").json()
    assert done["status"] == "done", done
    return done


def test_a_correction_changes_only_the_columns_the_file_holds(coordinator_client, city):
    """A corrected file with fewer columns adds a child: the party's languages, pets,
    nights, notes and the father's needs stay as they were (they were reset to the
    registration's defaults)."""
    imported(
        coordinator_client,
        city,
        [
            FULL_HEADER,
            [
                "102",
                "Олег",
                "Ким",
                "male",
                "adult",
                "wheelchair",
                "ru",
                1,
                3,
                "Вокзал",
                "Ночью",
                "yes",
            ],
        ],
    )
    party = Party.objects.get()
    short = [SHORT_HEADER, ["102", "Олег", "Ким", "male", "adult", "Вокзал", "yes"]]
    # The same people in fewer columns change nothing.
    check = upload(coordinator_client, city, "parties", csv_file(short)).json()
    assert check["errors"] == [] and check["summary"] == {"unchanged": 1}, check
    assert check["corrections"] == []

    short.append(["102", "Дана", "Ким", "female", "child", "", ""])
    check = upload(coordinator_client, city, "parties", csv_file(short)).json()
    assert check["errors"] == [] and check["summary"] == {"updated": 1}, check
    assert check["corrections"] == [{"line": 2, "party": party.code}]
    done = coordinator_client.post(f"/api/v1/imports/{check['id']}/confirm/").json()
    assert done["status"] == "done" and done["corrections"] == check["corrections"]

    party.refresh_from_db()
    assert party.size == 2
    assert (party.languages, party.pets, party.nights_needed, party.notes) == (
        ["ru"],
        1,
        3,
        "Ночью",
    )
    members = list(party.members.order_by("position"))
    assert [(m.given_name, m.family_name, m.needs) for m in members] == [
        ("Олег", "Ким", ["wheelchair"]),
        ("Дана", "Ким", []),
    ]
    # The corrected file again: nothing to do.
    again = upload(coordinator_client, city, "parties", csv_file(short)).json()
    assert again["summary"] == {"unchanged": 1}, again


def test_a_number_reused_for_other_people_is_a_bad_row(coordinator_client, city):
    """Paper registers number their families from 1 every day: a new day's family under
    a number imported before for other people is not a correction of that party (it
    replaced Oleg's people with another family's, under his code)."""
    imported(
        coordinator_client,
        city,
        [HEADER, ["102", "Олег", "Ким", "male", "adult", "wheelchair", "", "", "", "", "yes"]],
    )
    oleg = Party.objects.get()
    next_day = [
        HEADER,
        ["101", "Айгуль", "", "female", "adult", "", "", "", "", "", "yes"],
        ["102", "Жанна", "Серикова", "female", "adult", "", "", "", "", "", "yes"],
        ["102", "Диас", "Сериков", "male", "child", "", "", "", "", "", ""],
    ]
    check = upload(coordinator_client, city, "parties", csv_file(next_day)).json()
    assert [(e["line"], e["column"]) for e in check["errors"]] == [(3, "party")], check
    message = check["errors"][0]["message"]
    assert oleg.code in message and "other people" in message
    assert "Жанна" not in message
    assert check["corrections"] == []
    refused = coordinator_client.post(f"/api/v1/imports/{check['id']}/confirm/")
    assert refused.status_code == 409
    assert list(oleg.members.values_list("given_name", flat=True)) == ["Олег"]
    assert Party.objects.count() == 1

    # A correction that keeps one of its people (a child added, a sex fixed) stays one.
    corrected = [
        HEADER,
        ["102", "олег", "Ким", "male", "adult", "wheelchair", "", "", "", "", "yes"],
        ["102", "Диас", "Ким", "male", "child", "", "", "", "", "", ""],
    ]
    check = upload(coordinator_client, city, "parties", csv_file(corrected)).json()
    assert check["errors"] == [] and check["summary"] == {"updated": 1}, check
    assert check["corrections"] == [{"line": 2, "party": oleg.code}]
