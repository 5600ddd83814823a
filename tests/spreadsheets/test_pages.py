"""The coordinators' spreadsheet pages: upload, the check's bad rows in a table, import."""

import pytest
from django.test import Client

from accounts.models import Role
from shelters.models import Shelter
from spreadsheets.models import ImportJob
from tests import factories

from .conftest import csv_file, xlsx_file

pytestmark = pytest.mark.django_db

HEADER = ["shelter", "kind", "space", "beds"]


@pytest.fixture
def web(coordinator):
    client = Client()
    client.force_login(coordinator)
    return client


def post_file(web, city, file, kind="shelters"):
    return web.post("/imports/", {"city": str(city.id), "kind": kind, "file": file})


def test_upload_check_and_import(web, city):
    page = web.get("/imports/")
    assert page.status_code == 200
    assert page["Cache-Control"].startswith("max-age=0")
    assert b'enctype="multipart/form-data"' in page.content

    answer = post_file(web, city, xlsx_file([HEADER, ["School 12", "school", "Hall", 40]]))
    assert answer.status_code == 302
    job = ImportJob.objects.get()
    page = web.get(answer["Location"])
    assert "The file is good" in page.content.decode()
    assert not Shelter.objects.exists()

    done = web.post(f"/imports/{job.id}/confirm/")
    assert done.status_code == 302
    assert "Imported" in web.get(done["Location"]).content.decode()
    assert Shelter.objects.get().name == "School 12"
    # Confirming again is refused with a message, not an error page.
    again = web.post(f"/imports/{job.id}/confirm/", follow=True)
    assert "already sent to be imported" in again.content.decode()
    assert Shelter.objects.count() == 1


def test_bad_rows_are_listed_with_their_lines(web, city):
    rows = [HEADER, ["School 12", "palace", "Hall", 40], ["School 12", "", "Gym", "lots"]]
    answer = post_file(web, city, csv_file(rows))
    page = web.get(answer["Location"]).content.decode()
    assert "2 problems: nothing was imported" in page
    assert '<td class="num">2</td><td><code>kind</code>' in page
    assert '<td class="num">3</td><td><code>beds</code>' in page
    assert "web-import-confirm" not in page and "/confirm/" not in page


def test_a_refused_file_comes_back_with_the_choices_kept(web, city):
    answer = post_file(web, city, csv_file([["name"], ["x"]]), kind="parties")
    assert answer.status_code == 400
    page = answer.content.decode()
    assert "There is a problem" in page
    assert "Unknown columns: name" in page
    assert 'value="parties" required id="id_kind_1" checked' in page
    assert not ImportJob.objects.exists()


def test_only_coordinators(city):
    client = Client()
    client.force_login(factories.member(Role.VOLUNTEER, cities=[city]))
    assert client.get("/imports/").status_code == 403
    other = factories.member(Role.COORDINATOR, cities=[factories.CityFactory()])
    client.force_login(other)
    job = ImportJob.objects.create(city=city, kind="shelters", file_name="x.csv", file_sha256="0")
    assert client.get(f"/imports/{job.id}/").status_code == 404
    assert client.post(f"/imports/{job.id}/confirm/").status_code == 404


def test_a_check_names_the_parties_it_will_correct(web, city):
    register = [["party", "given_name", "sex", "consent"], ["7", "Oleg", "male", "yes"]]
    first = post_file(web, city, csv_file(register), kind="parties")
    web.post(f"/imports/{ImportJob.objects.get().id}/confirm/")
    assert first.status_code == 302
    from arrivals.models import Party

    code = Party.objects.get().code
    register.append(["7", "Dana", "female", ""])
    answer = post_file(web, city, csv_file(register), kind="parties")
    page = web.get(answer["Location"]).content.decode()
    assert "Parties already in Berth that will be corrected" in page
    assert f"<code>{code}</code>" in page


def test_a_file_refused_for_its_size_or_emptiness_is_said_at_its_field(web, city, settings):
    from django.core.files.uploadedfile import SimpleUploadedFile

    page = web.get("/imports/").content.decode()
    # The page's script refuses a file over the limit before sending it (upload.js).
    assert f'data-max-bytes="{settings.SPREADSHEET_MAX_BYTES}"' in page
    assert 'data-too-big="The file is too big: at most 5 MB."' in page
    assert "berth/upload.js" in page and "berth/spreadsheets.css" in page

    settings.SPREADSHEET_MAX_BYTES = 1000
    big = csv_file([HEADER] + [[f"Shelter {n}", "school", "Hall", 10] for n in range(100)])
    answer = post_file(web, city, big)
    assert answer.status_code == 400
    assert "The file is too big: at most 0 MB." in answer.content.decode()
    empty = post_file(web, city, SimpleUploadedFile("s.csv", b""), kind="parties")
    assert empty.status_code == 400
    page = empty.content.decode()
    assert "The file is empty." in page
    assert 'value="parties" required id="id_kind_1" checked' in page
    assert not ImportJob.objects.exists()
