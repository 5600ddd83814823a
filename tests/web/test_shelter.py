"""The shelter page: spaces and beds, open and close, parties placed there."""

import pytest
from django.urls import reverse

from shelters.models import ShelterStatus

from .conftest import web_client

pytestmark = pytest.mark.django_db


def test_manager_sees_spaces_and_parties(manager, space, placed_party):
    page = web_client(manager).get(reverse("web-shelter", args=[space.shelter_id]))
    text = page.content.decode()
    assert page.status_code == 200
    assert "Auditorium 1" in text
    assert placed_party.code in text
    assert reverse("web-party-check-in", args=[placed_party.id]) in text
    assert '<b class="num">8</b><span>free' in text  # 10 beds, 2 held


def test_coordinator_of_the_city_may_open_it(coordinator, space):
    assert (
        web_client(coordinator).get(reverse("web-shelter", args=[space.shelter_id])).status_code
        == 200
    )


def test_check_in_from_the_shelter_page_comes_back(manager, space, placed_party):
    url = reverse("web-shelter", args=[space.shelter_id])
    response = web_client(manager).post(
        reverse("web-party-check-in", args=[placed_party.id]), {"next": url}
    )
    assert response["Location"] == url
    placed_party.refresh_from_db()
    assert placed_party.status == "checked_in"


def test_edit_beds(manager, space):
    client = web_client(manager)
    response = client.post(
        reverse("web-space-beds", args=[space.id]), {"beds": "25", "version": space.version}
    )
    assert response.status_code == 302
    space.refresh_from_db()
    assert space.beds == 25
    page = client.get(response["Location"])
    assert b"25 beds saved" in page.content


def test_stale_form_says_changed_by_someone_else(manager, space):
    client = web_client(manager)
    old_version = space.version
    client.post(reverse("web-space-beds", args=[space.id]), {"beds": "12", "version": old_version})
    stale = client.post(
        reverse("web-space-beds", args=[space.id]),
        {"beds": "30", "version": old_version},
        follow=True,
    )
    assert stale.status_code == 200
    assert b"Changed by someone else" in stale.content
    space.refresh_from_db()
    assert space.beds == 12


def test_beds_below_occupancy_shows_the_conflict(manager, space, placed_party):
    space.refresh_from_db()
    response = web_client(manager).post(
        reverse("web-space-beds", args=[space.id]),
        {"beds": "1", "version": space.version},
        follow=True,
    )
    assert response.status_code == 200
    assert b"beds cannot go below 2" in response.content
    space.refresh_from_db()
    assert space.beds == 10


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        ({"beds": "-1", "version": "1"}, "greater than or equal to 0"),
        ({"beds": "abc", "version": "1"}, "Enter a whole number"),
        ({"beds": "10001", "version": "1"}, "less than or equal to 10000"),
        ({"beds": "", "version": "1"}, "This field is required"),
        ({"beds": "5"}, "out of date"),
        ({"beds": "5", "version": "x"}, "out of date"),
    ],
)
def test_bad_beds_input_comes_back_to_the_shelter_page_with_a_message(manager, space, data, reason):
    client = web_client(manager)
    shelter_url = reverse("web-shelter", args=[space.shelter_id])
    response = client.post(reverse("web-space-beds", args=[space.id]), data)
    assert response.status_code == 302
    assert response["Location"] == f"{shelter_url}#space-{space.id}"
    page = client.get(response["Location"])
    assert page.status_code == 200
    text = page.content.decode()
    assert "Auditorium 1: beds not saved." in text
    assert reason in text
    space.refresh_from_db()
    assert space.beds == 10


def test_buttons_after_a_bad_beds_entry_lead_back_to_the_shelter_page(manager, space, placed_party):
    """After an error the page's check-in and language buttons return to the shelter page
    (GET), never to the POST-only beds URL (which would answer 405)."""
    client = web_client(manager)
    shelter_url = reverse("web-shelter", args=[space.shelter_id])
    beds_url = reverse("web-space-beds", args=[space.id])
    page = client.post(beds_url, {"beds": "-1", "version": space.version}, follow=True)
    assert page.status_code == 200
    assert page.redirect_chain[-1][0].startswith(shelter_url)
    text = page.content.decode()
    assert f'name="next" value="{beds_url}"' not in text
    assert text.count(f'name="next" value="{shelter_url}"') == 2  # language switcher, check in

    switched = client.post("/i18n/setlang/", {"language": "ru", "next": shelter_url})
    assert switched["Location"] == shelter_url
    assert client.get(switched["Location"]).status_code == 200
    checked_in = client.post(
        reverse("web-party-check-in", args=[placed_party.id]), {"next": shelter_url}
    )
    assert checked_in["Location"] == shelter_url
    assert client.get(checked_in["Location"]).status_code == 200
    placed_party.refresh_from_db()
    assert placed_party.status == "checked_in"


def test_beds_url_answers_only_posts(manager, space):
    assert web_client(manager).get(reverse("web-space-beds", args=[space.id])).status_code == 405


def test_who_may_edit_beds(volunteer, other_manager, other_coordinator, space):
    data = {"beds": "3", "version": space.version}
    url = reverse("web-space-beds", args=[space.id])
    assert web_client(volunteer).post(url, data).status_code == 403
    assert web_client(other_manager).post(url, data).status_code == 404
    assert web_client(other_coordinator).post(url, data).status_code == 404
    space.refresh_from_db()
    assert space.beds == 10


def test_close_and_open(manager, shelter):
    client = web_client(manager)
    url = reverse("web-shelter-status", args=[shelter.id])
    response = client.post(url, {"status": "closed", "version": shelter.version}, follow=True)
    assert response.status_code == 200
    shelter.refresh_from_db()
    assert shelter.status == ShelterStatus.CLOSED
    assert b"Open the shelter" in response.content
    client.post(url, {"status": "open", "version": shelter.version})
    shelter.refresh_from_db()
    assert shelter.status == ShelterStatus.OPEN
    stale = client.post(url, {"status": "closed", "version": "1"}, follow=True)
    assert b"Changed by someone else" in stale.content
    bad = client.post(url, {"status": "burning", "version": shelter.version}, follow=True)
    assert bad.status_code == 200
    shelter.refresh_from_db()
    assert shelter.status == ShelterStatus.OPEN


def test_who_may_close(volunteer, other_manager, shelter):
    url = reverse("web-shelter-status", args=[shelter.id])
    data = {"status": "closed", "version": shelter.version}
    assert web_client(volunteer).post(url, data).status_code == 403
    assert web_client(other_manager).post(url, data).status_code == 404
    shelter.refresh_from_db()
    assert shelter.status == ShelterStatus.OPEN
