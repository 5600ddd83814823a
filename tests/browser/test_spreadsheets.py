"""The spreadsheet pages on a phone: upload a file, see its bad rows, import a good one;
each page screenshotted, checked by axe-core and for sideways scrolling."""

import pytest

from accounts.models import Role
from shelters.models import Shelter
from tests import factories
from tests.spreadsheets.conftest import xlsx_bytes

from .conftest import SCREENSHOTS, locked, log_in, screenshot

pytestmark = pytest.mark.browser

SCRIPTS = __import__("pathlib").Path(__file__).parent / "scripts"
AXE_RUN = (SCRIPTS / "axe.js").read_text()
HEADER = ["shelter", "kind", "address", "space", "beds", "admits"]


def check(page, name: str, axe_source: str) -> None:
    screenshot(page, f"en-{name}")
    assert page.evaluate(
        "document.documentElement.scrollWidth <= document.documentElement.clientWidth"
    ), f"{name}: the page scrolls sideways"
    if not page.evaluate("typeof axe !== 'undefined'"):
        page.evaluate(axe_source)
    assert page.evaluate(AXE_RUN) == [], name


def test_upload_check_and_import_on_a_phone(phone, server, axe_source, tmp_path):
    city = factories.CityFactory(name="Uralsk")
    coordinator = factories.member(Role.COORDINATOR, cities=[city], username="dana")
    log_in(phone, server, coordinator)
    page = phone.new_page()

    page.goto("/imports/")
    check(page, "imports", axe_source)

    # A file with the wrong columns: the error at the top and at the field.
    wrong = tmp_path / "wrong.xlsx"
    wrong.write_bytes(xlsx_bytes([["name", "beds"], ["School", 4]]))
    page.set_input_files("#id_file", str(wrong))
    page.click("button[type=submit]:has-text('Check the file')")
    page.wait_for_selector(".error-summary")
    assert "Unknown columns: name" in page.inner_text(".error-summary")
    check(page, "imports-refused", axe_source)

    bad = tmp_path / "shelters.xlsx"
    bad.write_bytes(
        xlsx_bytes(
            [
                HEADER,
                ["School No. 12", "school", "Lenin st. 5", "Gym hall", 40, "anyone"],
                ["School No. 12", "", "", "Class 3", "twelve", "women_and_children"],
                ["Cinema Arman", "palace", "Dostyk 1", "Hall 1", 80, ""],
            ]
        )
    )
    page.set_input_files("#id_file", str(bad))
    page.click("button[type=submit]:has-text('Check the file')")
    page.wait_for_selector("table")
    assert "2 problems" in page.inner_text(".error-summary")
    check(page, "import-bad-rows", axe_source)

    good = tmp_path / "shelters-corrected.xlsx"
    good.write_bytes(
        xlsx_bytes(
            [
                HEADER,
                ["School No. 12", "school", "Lenin st. 5", "Gym hall", 40, "anyone"],
                ["School No. 12", "", "", "Class 3", 12, "women_and_children"],
                ["Cinema Arman", "cinema", "Dostyk 1", "Hall 1", 80, ""],
            ]
        )
    )
    page.goto("/imports/")
    page.set_input_files("#id_file", str(good))
    page.click("button[type=submit]:has-text('Check the file')")
    page.wait_for_selector("text=The file is good")
    check(page, "import-checked", axe_source)
    assert locked(lambda: Shelter.objects.count()) == 0

    page.click("button:has-text('Import')")
    page.wait_for_selector("h2:has-text('Imported')")
    check(page, "import-done", axe_source)
    assert locked(lambda: sorted(Shelter.objects.values_list("name", flat=True))) == [
        "Cinema Arman",
        "School No. 12",
    ]
    assert (SCREENSHOTS / "en-import-done.png").exists()


def test_the_progress_moves_and_the_result_shows_when_a_worker_is_done(phone, server, axe_source):
    from spreadsheets.models import ImportJob

    city = factories.CityFactory(name="Uralsk")
    coordinator = factories.member(Role.COORDINATOR, cities=[city], username="dana")
    job = ImportJob.objects.create(
        city=city,
        kind="parties",
        file_name="register-day-1.xlsx",
        file_format="xlsx",
        file_sha256="0" * 64,
        content="x",
        status="running",
        rows_total=1200,
        rows_done=240,
        created_by=coordinator,
    )
    log_in(phone, server, coordinator)
    page = phone.new_page()
    page.goto(f"/imports/{job.id}/")
    assert page.inner_text("[data-import-done]") == "240"
    check(page, "import-running", axe_source)

    # The worker goes on: the page follows without a reload.
    locked(lambda: ImportJob.objects.filter(id=job.id).update(rows_done=900))
    page.wait_for_selector("[data-import-done]:text-is('900')")
    assert page.evaluate("document.querySelector('progress').value") == 75

    # The check ends: the page shows its result by itself.
    locked(
        lambda: ImportJob.objects.filter(id=job.id).update(
            status="checked", rows_done=1200, summary={"created": 500}
        )
    )
    page.wait_for_selector("text=The file is good")
    assert page.is_visible("button:has-text('Import')")
