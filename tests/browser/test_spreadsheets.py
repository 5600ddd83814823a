"""The spreadsheet pages on a phone: upload a file, see its bad rows, import a good one;
each page screenshotted, checked by axe-core and for sideways scrolling."""

import pytest

from accounts.models import Role
from shelters.models import Shelter
from tests import factories
from tests.spreadsheets.conftest import xlsx_bytes

from .conftest import PHONE, SCREENSHOTS, locked, log_in, screenshot

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


@pytest.mark.django_db
def test_a_file_too_big_is_refused_at_its_field_before_it_is_sent(chromium, settings, tmp_path):
    """Sent, a file over the upload limit is answered 413 on a page of its own: the page's
    script refuses it first, next to the field, with the form kept. The file field is a
    tap target as tall as the other controls (it was 21px). The pages are served to the
    browser from the test's own client through Playwright's routing, without a port."""
    from pathlib import Path

    from django.contrib.staticfiles import finders
    from django.test import Client

    settings.SPREADSHEET_MAX_BYTES = 1024 * 1024
    city = factories.CityFactory(name="Uralsk")
    client = Client()
    client.force_login(factories.member(Role.COORDINATOR, cities=[city], username="dana"))
    imports_page = client.get("/imports/")  # here: the routing runs apart from the database
    assert imports_page.status_code == 200
    sent = []

    def answer(route, request):
        path = request.url.split("http://berth.test", 1)[1]
        sent.append((request.method, path))
        if path.startswith(settings.STATIC_URL):
            found = finders.find(path[len(settings.STATIC_URL) :].split("?")[0])
            kind = "text/css" if found.endswith(".css") else "text/javascript"
            route.fulfill(status=200, content_type=kind, body=Path(found).read_bytes())
        elif request.method == "GET" and path == "/imports/":
            route.fulfill(status=200, content_type="text/html", body=imports_page.content)
        else:
            route.fulfill(status=413, body=b"sent")

    context = chromium.new_context(**PHONE)
    try:
        context.route("http://berth.test/**", answer)
        page = context.new_page()
        page.goto("http://berth.test/imports/")
        box = page.locator("#id_file").bounding_box()
        assert box["height"] >= 44, box
        page.check("input[name=kind][value=parties]")
        big = tmp_path / "register.csv"
        big.write_bytes(b"party,given_name,consent\n" + b"1,Dana,yes\n" * 110_000)
        page.set_input_files("#id_file", str(big))
        page.click("button[type=submit]:has-text('Check the file')")
        error = page.locator(".field.has-error .errorlist")
        assert error.inner_text() == "The file is too big: at most 1 MB."
        assert page.evaluate("document.activeElement.id") == "id_file"
        assert page.is_checked("input[name=kind][value=parties]")
        assert ("POST", "/imports/") not in sent
        # A file that fits clears the error.
        small = tmp_path / "small.csv"
        small.write_bytes(b"party,given_name,consent\n1,Dana,yes\n")
        page.set_input_files("#id_file", str(small))
        assert page.locator(".errorlist").count() == 0
    finally:
        context.close()
