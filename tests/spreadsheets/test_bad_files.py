"""Files refused as a whole answer 400 with a sentence and a code, write nothing, and
never 500: wrong type, too big, broken XLSX, wrong headers, formulas, control characters."""

import io
import zipfile

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from shelters.models import Shelter
from spreadsheets.models import ImportJob

from .conftest import csv_file, upload, xlsx_bytes, xlsx_file

pytestmark = pytest.mark.django_db

HEADER = ["shelter", "kind", "space", "beds"]
ROW = ["School 12", "school", "Hall", 40]


def refused(client, city, file, code: str) -> dict:
    answer = client.post(
        "/api/v1/imports/",
        {"city": str(city.id), "kind": "shelters", "file": file},
        format="multipart",
    )
    assert answer.status_code == 400, answer.content
    body = answer.json()
    assert body["code"] == code, body
    assert body["file"] and isinstance(body["file"][0], str)
    assert not ImportJob.objects.exists()
    assert not Shelter.objects.exists()
    return body


def test_a_file_of_another_type(coordinator_client, city):
    refused(
        coordinator_client,
        city,
        SimpleUploadedFile("shelters.pdf", b"%PDF-1.4 ..."),
        "unsupported_file_type",
    )
    # An XLSX name on bytes that are no workbook, and a CSV name on a zip.
    refused(
        coordinator_client, city, SimpleUploadedFile("s.xlsx", b"shelter,kind\n"), "invalid_file"
    )
    refused(
        coordinator_client, city, SimpleUploadedFile("s.csv", xlsx_bytes([HEADER])), "invalid_file"
    )


def test_a_file_too_big(coordinator_client, city, settings):
    settings.SPREADSHEET_MAX_BYTES = 1000
    rows = [HEADER] + [[f"Shelter {n}", "school", "Hall", 10] for n in range(100)]
    body = refused(coordinator_client, city, csv_file(rows), "file_too_large")
    assert "MB" in body["file"][0]


def test_too_many_rows(coordinator_client, city, settings):
    settings.SPREADSHEET_MAX_ROWS = 5
    rows = [HEADER] + [[f"Shelter {n}", "school", "Hall", 10] for n in range(6)]
    refused(coordinator_client, city, xlsx_file(rows), "too_many_rows")


def test_a_broken_xlsx(coordinator_client, city):
    whole = xlsx_bytes([HEADER, ROW])
    refused(
        coordinator_client,
        city,
        SimpleUploadedFile("s.xlsx", whole[: len(whole) // 2]),
        "invalid_file",
    )
    # A zip that is no workbook.
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("hello.txt", "not a workbook")
    refused(
        coordinator_client, city, SimpleUploadedFile("s.xlsx", buffer.getvalue()), "invalid_file"
    )


def test_a_zip_bomb_is_refused_before_it_is_opened(coordinator_client, city):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("xl/worksheets/sheet1.xml", b"\0" * (200 * 1024 * 1024))
    assert len(buffer.getvalue()) < 1024 * 1024
    refused(
        coordinator_client, city, SimpleUploadedFile("s.xlsx", buffer.getvalue()), "invalid_file"
    )


@pytest.mark.parametrize("make_file", [csv_file, xlsx_file], ids=["csv", "xlsx"])
def test_wrong_headers(coordinator_client, city, make_file):
    body = refused(
        coordinator_client, city, make_file([["name", "kind"], ROW[:2]]), "invalid_header"
    )
    assert "name" in body["file"][0]  # the unknown column is named
    body = refused(
        coordinator_client, city, make_file([["kind", "beds"], ["school", 3]]), "invalid_header"
    )
    assert "shelter" in body["file"][0]  # the missing one too
    refused(
        coordinator_client,
        city,
        make_file([["shelter", "kind", "Kind"], ROW[:3]]),
        "invalid_header",
    )
    refused(coordinator_client, city, make_file([[], ROW]), "invalid_header")


def test_formulas(coordinator_client, city):
    body = refused(
        coordinator_client,
        city,
        xlsx_file([HEADER, ["School", "school", "Hall", "=20+20"]]),
        "formula",
    )
    assert "D2" in body["file"][0]  # the cell is named
    body = refused(
        coordinator_client,
        city,
        csv_file([HEADER, ['=HYPERLINK("http://evil")', "school", "Hall", 4]]),
        "formula",
    )
    assert "shelter" in body["file"][0]


@pytest.mark.parametrize("make_file", [csv_file, xlsx_file], ids=["csv", "xlsx"])
def test_control_characters(coordinator_client, city, make_file):
    if make_file is xlsx_file:
        # openpyxl refuses to write most control characters; a line break in a name it keeps.
        rows = [HEADER, ["School\n12", "school", "Hall", 4]]
    else:
        rows = [HEADER, ["School\x0712", "school", "Hall", 4]]
    body = refused(coordinator_client, city, make_file(rows), "control_characters")
    assert "2" in body["file"][0]


def test_empty_and_not_utf8(coordinator_client, city):
    # A file of 0 bytes has the documented shape and code (it had DRF's own answer).
    body = refused(coordinator_client, city, SimpleUploadedFile("s.csv", b""), "empty_file")
    assert body["file"] == ["The file is empty."]
    refused(coordinator_client, city, csv_file([HEADER]), "empty_file")
    refused(
        coordinator_client,
        city,
        SimpleUploadedFile("s.csv", "shelter,kind\nШкола,school\n".encode("cp1251")),  # noqa: RUF001
        "invalid_encoding",
    )


def test_semicolons_as_russian_spreadsheets_save_them(coordinator_client, city):
    answer = upload(coordinator_client, city, "shelters", csv_file([HEADER, ROW], delimiter=";"))
    assert answer.status_code == 201
    assert answer.json()["errors"] == []


def test_a_missing_file_or_kind(coordinator_client, city):
    answer = coordinator_client.post("/api/v1/imports/", {"city": str(city.id), "kind": "shelters"})
    assert answer.status_code == 400
    assert "file" in answer.json()
    answer = upload(coordinator_client, city, "furniture", csv_file([HEADER, ROW]))
    assert answer.status_code == 400
    assert "kind" in answer.json()
    assert not ImportJob.objects.exists()


def test_the_upload_paths_alone_take_bodies_over_the_usual_limit(
    coordinator_client, city, settings
):
    rows = [HEADER] + [
        [f"Shelter number {n:05d} of the city of Uralsk", "school", "Main hall", 10]
        for n in range(19000)
    ]
    file = csv_file(rows)
    assert file.size > settings.BERTH_MAX_BODY_BYTES
    answer = upload(coordinator_client, city, "shelters", file)
    assert answer.status_code == 201, answer.content
    assert answer.json()["rows_total"] == 19000
    # Above the file limit the body is refused unread, as any body over the limit.
    big = SimpleUploadedFile("big.csv", b"x" * (settings.BERTH_MAX_UPLOAD_BYTES + 1))
    answer = upload(coordinator_client, city, "shelters", big)
    assert answer.status_code == 413
    # Elsewhere the usual limit holds.
    answer = coordinator_client.post(
        "/api/v1/webhooks/", {"file": csv_file(rows)}, format="multipart"
    )
    assert answer.status_code == 413


def test_a_very_long_file_name_keeps_its_extension(coordinator_client, city):
    """A name over the 200 characters a job keeps is shortened before its extension: the
    job reads the file as the name says (it lost ".csv", was refused, and answered 500)."""
    answer = upload(
        coordinator_client, city, "shelters", csv_file([HEADER, ROW], "a" * 300 + ".csv")
    )
    assert answer.status_code in (200, 201, 202), answer.content
    job = ImportJob.objects.get()
    assert job.file_name == "a" * 196 + ".csv"
    assert job.status == "checked" and job.errors_count == 0, job.errors


def test_a_job_whose_stored_file_is_refused_is_checked_with_its_error(city, coordinator):
    """A file refused when the job reads it (stored under a name it no longer passes)
    ends the job with that error, not a crash that leaves it running."""
    from spreadsheets.tasks import import_job_run

    job = ImportJob.objects.create(
        city=city,
        kind="shelters",
        file_name="shelters.pdf",
        created_by=coordinator,
        content="c2hlbHRlcixraW5kCg==",
    )
    import_job_run(str(job.id))
    job.refresh_from_db()
    assert job.status != "running"
    assert job.errors_count == 1 and job.errors[0]["line"] == 0


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-be", "utf-32", "utf-32-be"])
def test_a_unicode_text_csv_is_told_to_be_saved_as_utf8(coordinator_client, city, encoding):
    """ "Unicode text" (UTF-16 or UTF-32 with its byte-order mark) is a CSV in another
    encoding, not a file that is not text."""
    text = "shelter,kind\nШкола,school\n"  # noqa: RUF001
    content = text.encode(encoding)
    if not encoding.endswith("-be"):
        assert content[:2] == b"\xff\xfe"
    else:
        mark = {"utf-16-be": b"\xfe\xff", "utf-32-be": b"\x00\x00\xfe\xff"}[encoding]
        content = mark + content
    body = refused(
        coordinator_client, city, SimpleUploadedFile("s.csv", content), "invalid_encoding"
    )
    assert "CSV UTF-8" in body["file"][0]


def test_empty_rows_are_not_counted(coordinator_client, city, settings):
    """A workbook with one row of data and formatting on many empty rows below it (a
    sheet formatted down to row 25,000) is one row, not too many."""
    import openpyxl
    from openpyxl.styles import Font

    settings.SPREADSHEET_MAX_ROWS = 5
    rows = [HEADER] + [[f"Shelter {n}", "school", "Hall", 4] for n in range(6)]
    refused(coordinator_client, city, xlsx_file(rows), "too_many_rows")  # rows that hold something
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(HEADER)
    sheet.append(ROW)
    for line in range(3, 60):
        sheet.cell(row=line, column=1).font = Font(bold=True)
        sheet.row_dimensions[line].height = 20
    buffer = io.BytesIO()
    workbook.save(buffer)
    answer = upload(
        coordinator_client, city, "shelters", SimpleUploadedFile("s.xlsx", buffer.getvalue())
    )
    assert answer.status_code == 201, answer.content
    assert answer.json()["rows_total"] == 1
    # Blank lines of a CSV neither; rows that hold something still count, by their line.
    text = "shelter,kind,space,beds\n" + ",,,\n" * 50 + "School 12,school,Hall,lots\n"
    answer = upload(
        coordinator_client, city, "shelters", SimpleUploadedFile("s.csv", text.encode())
    )
    assert answer.status_code == 201, answer.content
    assert [(e["line"], e["column"]) for e in answer.json()["errors"]] == [(52, "beds")]
