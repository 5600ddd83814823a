"""Shelters and spaces from a spreadsheet: a check that reports every bad row and writes
nothing, then an import that is all or nothing and adds nothing the second time."""

import pytest

from arrivals.models import Placement, PlacementStatus
from shelters.models import Shelter, Space
from spreadsheets.models import ImportJob
from tests import factories

from .conftest import csv_file, upload, xlsx_file

pytestmark = pytest.mark.django_db

HEADER = ["shelter", "kind", "address", "wheelchair_accessible", "space", "beds", "admits"]
GOOD = [
    HEADER,
    ["School 12", "school", "Lenin st. 5", "yes", "Gym hall", 40, "anyone"],
    ["School 12", "", "", "", "Class 3", 12, "women_and_children"],
    ["Cinema Arman", "cinema", "Dostyk 1", "no", "Hall 1", 80, ""],
]


def test_a_check_reports_each_bad_row_with_its_line_and_writes_nothing(coordinator_client, city):
    rows = [
        HEADER,
        ["School 12", "school", "Lenin st. 5", "yes", "Gym hall", 40, "anyone"],
        ["School 12", "", "", "", "Class 3", "many", ""],  # line 3: beds not a number
        ["Cinema", "palace", "", "", "Hall", 10, ""],  # line 4: unknown kind
        ["Dorm", "dormitory", "", "maybe", "Room", 10, "everyone"],  # line 5: two bad cells
        ["Hotel", "", "", "", "Room", 5, ""],  # line 6: a new shelter without its kind
        ["School 12", "", "", "", "Gym hall", 3, ""],  # line 7: the same space again
    ]
    answer = upload(coordinator_client, city, "shelters", csv_file(rows))

    assert answer.status_code == 201, answer.content
    job = answer.json()
    assert job["status"] == "checked"
    assert job["mode"] == "check"
    found = {(error["line"], error["column"]) for error in job["errors"]}
    assert found == {
        (3, "beds"),
        (4, "kind"),
        (5, "wheelchair_accessible"),
        (5, "admits"),
        (6, "kind"),
        (7, "space"),
    }
    assert all(error["message"] for error in job["errors"])
    assert job["errors_count"] == 6
    assert not Shelter.objects.exists()
    assert not Space.objects.exists()
    # A file with bad rows cannot be imported: it is corrected and sent again.
    confirm = coordinator_client.post(f"/api/v1/imports/{job['id']}/confirm/")
    assert confirm.status_code == 409
    assert confirm.json()["code"] == "has_errors"
    assert not Shelter.objects.exists()


@pytest.mark.parametrize("make_file", [csv_file, xlsx_file], ids=["csv", "xlsx"])
def test_import_after_a_clean_check_and_the_same_file_twice_adds_nothing(
    coordinator_client, city, make_file
):
    check = upload(coordinator_client, city, "shelters", make_file(GOOD)).json()
    assert check["status"] == "checked", check
    assert check["errors"] == []
    assert check["summary"] == {"shelters_created": 2, "spaces_created": 3}
    assert not Shelter.objects.exists()  # a check writes nothing

    done = coordinator_client.post(f"/api/v1/imports/{check['id']}/confirm/")
    assert done.status_code == 200, done.content
    assert done.json()["status"] == "done"
    school = Shelter.objects.get(city=city, name="School 12")
    assert (school.kind, school.address, school.wheelchair_accessible) == (
        "school",
        "Lenin st. 5",
        True,
    )
    assert sorted(school.spaces.values_list("name", "beds", "admits")) == [
        ("Class 3", 12, "women_and_children"),
        ("Gym hall", 40, "anyone"),
    ]
    assert Space.objects.count() == 3

    again = upload(coordinator_client, city, "shelters", make_file(GOOD)).json()
    assert again["summary"] == {"shelters_unchanged": 2, "spaces_unchanged": 3}
    coordinator_client.post(f"/api/v1/imports/{again['id']}/confirm/")
    assert Shelter.objects.count() == 2
    assert Space.objects.count() == 3
    # Confirming once more is refused: an import is done once.
    twice = coordinator_client.post(f"/api/v1/imports/{again['id']}/confirm/")
    assert twice.status_code == 409
    assert twice.json()["code"] == "already_confirmed"


def test_a_corrected_file_updates_what_it_changed(coordinator_client, city):
    first = upload(coordinator_client, city, "shelters", csv_file(GOOD)).json()
    coordinator_client.post(f"/api/v1/imports/{first['id']}/confirm/")
    corrected = [row[:] for row in GOOD]
    corrected[2][5] = 15  # Class 3: 15 beds, not 12
    corrected.append(["Cinema Arman", "", "", "", "Hall 2", 30, ""])

    check = upload(coordinator_client, city, "shelters", csv_file(corrected)).json()
    assert check["summary"] == {
        "shelters_unchanged": 2,
        "spaces_unchanged": 2,
        "spaces_updated": 1,
        "spaces_created": 1,
    }
    coordinator_client.post(f"/api/v1/imports/{check['id']}/confirm/")
    assert Space.objects.get(name="Class 3").beds == 15
    assert Space.objects.get(name="Hall 2").shelter.name == "Cinema Arman"
    assert Space.objects.count() == 4


def test_a_row_that_fails_at_import_rolls_back_every_row(coordinator_client, city, coordinator):
    shelter = factories.ShelterFactory(city=city, name="Gym 3", kind="gym")
    space = factories.SpaceFactory(shelter=shelter, name="Main", beds=10)
    rows = [
        HEADER,
        ["New school", "school", "", "", "Hall", 50, ""],
        ["Gym 3", "", "", "", "Main", 4, ""],
    ]
    check = upload(coordinator_client, city, "shelters", csv_file(rows)).json()
    assert check["errors"] == []
    # Between the check and the import, 6 beds of the space are taken.
    party = factories.PartyFactory(city=city, size=6)
    Placement.objects.create(
        party=party, space=space, beds=6, status=PlacementStatus.HELD, created_by="matcher"
    )
    Space.objects.filter(id=space.id).update(beds_held=6)

    done = coordinator_client.post(f"/api/v1/imports/{check['id']}/confirm/").json()

    assert done["status"] == "failed"
    assert [(error["line"], error["column"]) for error in done["errors"]] == [(3, "beds")]
    assert not Shelter.objects.filter(name="New school").exists()  # line 2 rolled back too
    assert Space.objects.get(id=space.id).beds == 10
    assert ImportJob.objects.get(id=done["id"]).content == ""  # the file is not kept


def test_only_coordinators_of_the_city_import(volunteer_client, other_coordinator_client, city):
    assert upload(volunteer_client, city, "shelters", csv_file(GOOD)).status_code == 403
    answer = upload(other_coordinator_client, city, "shelters", csv_file(GOOD))
    assert answer.status_code == 400
    assert "city" in answer.json()
    assert not ImportJob.objects.exists()


def test_jobs_of_other_cities_are_not_found(coordinator_client, other_coordinator_client, city):
    job = upload(coordinator_client, city, "shelters", csv_file(GOOD)).json()
    assert other_coordinator_client.get(f"/api/v1/imports/{job['id']}/").status_code == 404
    assert other_coordinator_client.post(f"/api/v1/imports/{job['id']}/confirm/").status_code == 404
    assert coordinator_client.get(f"/api/v1/imports/{job['id']}/").json()["id"] == job["id"]


def test_forgotten_checks_and_lost_jobs_are_purged(coordinator_client, city):
    from datetime import timedelta

    from django.utils import timezone

    from spreadsheets.services import import_jobs_purge

    check = upload(coordinator_client, city, "shelters", csv_file(GOOD)).json()
    lost = ImportJob.objects.create(
        city=city, kind="shelters", file_name="lost.csv", file_sha256="0", content="x"
    )
    ImportJob.objects.filter(id=lost.id).update(status="running")
    assert import_jobs_purge() == 0  # nothing old yet
    later = timezone.now() + timedelta(days=2)
    assert import_jobs_purge(now=later) == 2
    checked = ImportJob.objects.get(id=check["id"])
    assert (checked.status, checked.content) == ("checked", "")
    confirm = coordinator_client.post(f"/api/v1/imports/{check['id']}/confirm/")
    assert confirm.status_code == 409
    assert confirm.json()["code"] == "file_expired"
    lost.refresh_from_db()
    assert (lost.status, lost.content, lost.errors_count) == ("failed", "", 1)
    assert not Shelter.objects.exists()
