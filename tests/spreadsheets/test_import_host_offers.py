"""Host offers from a spreadsheet, through the public form's service: the host's name
and phone encrypted, the creation audited as the coordinator's, the same file twice adds
nothing."""

from datetime import date, timedelta

import pytest
from django.db import connection

from privacy.models import AuditEntry
from shelters.models import HostOffer

from .conftest import csv_file, upload, xlsx_file

pytestmark = pytest.mark.django_db

SOON = date.today() + timedelta(days=2)
LATER = SOON + timedelta(days=30)
HEADER = [
    "address",
    "beds",
    "available_from",
    "available_until",
    "host_name",
    "contact_phone",
    "pets_allowed",
]


def offers():
    return [
        HEADER,
        [
            "Abai 10, flat 4",
            3,
            SOON.isoformat(),
            LATER.isoformat(),
            "Gulnara",
            "+7 701 222 3344",
            "yes",
        ],
        ["Dostyk 7", 2, SOON.strftime("%d.%m.%Y"), "", "", "", "нет"],
    ]


@pytest.mark.parametrize("make_file", [csv_file, xlsx_file], ids=["csv", "xlsx"])
def test_offers_imported_once(coordinator_client, coordinator, city, make_file):
    check = upload(coordinator_client, city, "host_offers", make_file(offers())).json()
    assert check["status"] == "checked", check
    assert check["summary"] == {"created": 2}
    assert not HostOffer.objects.exists()
    coordinator_client.post(f"/api/v1/imports/{check['id']}/confirm/")

    offer = HostOffer.objects.get(address="Abai 10, flat 4")
    assert (offer.beds, offer.available_from, offer.available_until) == (3, SOON, LATER)
    assert offer.pets_allowed is True
    assert offer.status == "new"
    assert offer.host_name == "Gulnara"
    with connection.cursor() as cursor:
        cursor.execute("SELECT host_name, contact_phone FROM shelters_hostoffer WHERE beds = 3")
        stored = cursor.fetchone()
    assert "Gulnara" not in stored[0] and "3344" not in stored[1]
    created = AuditEntry.objects.filter(action="create", object_type="host_offer")
    assert set(created.values_list("actor_id", flat=True)) == {coordinator.id}

    again = upload(coordinator_client, city, "host_offers", make_file(offers())).json()
    assert again["summary"] == {"unchanged": 2}
    coordinator_client.post(f"/api/v1/imports/{again['id']}/confirm/")
    assert HostOffer.objects.count() == 2


def test_bad_offers_by_line(coordinator_client, city):
    rows = [
        HEADER,
        ["Abai 10", 0, SOON.isoformat(), "", "", "", ""],  # line 2: beds
        ["Abai 11", 2, "tomorrow", "", "", "", ""],  # line 3: the date
        ["Abai 12", 2, (date.today() - timedelta(days=3)).isoformat(), "", "", "", ""],  # past
        ["Abai 13", 2, LATER.isoformat(), SOON.isoformat(), "", "", ""],  # line 5: until
        ["Abai 14", 2, SOON.isoformat(), "", "", "call me", ""],  # line 6: phone
    ]
    job = upload(coordinator_client, city, "host_offers", csv_file(rows)).json()
    assert {(e["line"], e["column"]) for e in job["errors"]} == {
        (2, "beds"),
        (3, "available_from"),
        (4, "available_from"),
        (5, "available_until"),
        (6, "contact_phone"),
    }
    assert not HostOffer.objects.exists()


def test_a_day_the_calendar_has_not_is_said_so(coordinator_client, city):
    rows = [HEADER, ["Abai 10", 2, "30.02.2030", "", "", "", ""]]
    job = upload(coordinator_client, city, "host_offers", csv_file(rows)).json()
    [error] = job["errors"]
    assert (error["line"], error["column"]) == (2, "available_from")
    assert "There is no such day: 30.02.2030." in str(error)
    assert not HostOffer.objects.exists()


def test_the_same_address_twice_in_one_file(coordinator_client, city):
    rows = offers()
    rows.append(rows[1][:])  # the same offer again: once
    changed = rows[1][:]
    changed[1] = 5
    rows.append(changed)  # the same address with other beds: a bad row
    job = upload(coordinator_client, city, "host_offers", csv_file(rows)).json()
    assert [(e["line"], e["column"]) for e in job["errors"]] == [(5, "address")]
    assert job["summary"] == {"created": 2, "unchanged": 1}
