"""A coordinator removes a volunteer's or shelter manager's access to their cities
(`POST /api/v1/members/{id}/remove/`, and on the invitations page): at once, for what
they are signed in with too; a member who works elsewhere keeps the rest."""

import pytest
from django.test import Client
from rest_framework.test import APIClient

from accounts import services
from accounts.models import Role
from tests import factories
from tests.conftest import client_for

pytestmark = pytest.mark.django_db


def _signed_in_api(user) -> APIClient:
    """A client with a real token of `user` (not a forced login): what a phone holds."""
    _token, key = services.auth_token_issue(user=user)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    return client


def _signed_in_web(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_a_removed_volunteer_is_signed_out_everywhere_at_once(coordinator, volunteer, city):
    phone = _signed_in_api(volunteer)
    browser = _signed_in_web(volunteer)
    assert phone.get("/api/v1/capacity/", {"city": str(city.id)}).status_code == 200
    membership = volunteer.membership

    answer = client_for(coordinator).post(f"/api/v1/members/{membership.id}/remove/")

    assert answer.status_code == 200, answer.content
    assert answer.json()["is_active"] is False
    assert answer.json()["cities"] == []
    assert phone.get("/api/v1/capacity/", {"city": str(city.id)}).status_code == 401
    page = browser.get("/")
    assert page.status_code == 302 and "/accounts/login/" in page["Location"]
    volunteer.refresh_from_db()
    assert not volunteer.is_active
    # Gone from the coordinator's reach: a second removal finds nobody.
    again = client_for(coordinator).post(f"/api/v1/members/{membership.id}/remove/")
    assert again.status_code == 404


def test_a_member_who_also_works_elsewhere_keeps_the_other_city(coordinator, city, other_city):
    both = factories.member(Role.VOLUNTEER, cities=[city, other_city])
    phone = _signed_in_api(both)

    answer = client_for(coordinator).post(f"/api/v1/members/{both.membership.id}/remove/")

    assert answer.status_code == 200
    assert answer.json()["cities"] == [str(other_city.id)]
    assert answer.json()["is_active"] is True
    assert phone.get("/api/v1/capacity/", {"city": str(city.id)}).status_code == 404
    assert phone.get("/api/v1/capacity/", {"city": str(other_city.id)}).status_code == 200


def test_a_manager_loses_the_city_s_shelters(coordinator, manager, shelter):
    answer = client_for(coordinator).post(f"/api/v1/members/{manager.membership.id}/remove/")
    assert answer.status_code == 200
    assert answer.json()["shelters"] == [] and answer.json()["is_active"] is False


def test_who_may_not_remove(coordinator, volunteer, city, other_city):
    fellow = factories.member(Role.COORDINATOR, cities=[city])
    outsider = factories.member(Role.COORDINATOR, cities=[other_city])
    url = f"/api/v1/members/{volunteer.membership.id}/remove/"
    # Another coordinator's access is an administrator's to change; one's own, nobody's.
    fellow_url = f"/api/v1/members/{fellow.membership.id}/remove/"
    assert client_for(coordinator).post(fellow_url).status_code == 403
    own_url = f"/api/v1/members/{coordinator.membership.id}/remove/"
    assert client_for(coordinator).post(own_url).status_code == 403
    assert client_for(volunteer).post(url).status_code == 403
    assert client_for(outsider).post(url).status_code == 404
    volunteer.refresh_from_db()
    assert volunteer.is_active and volunteer.membership.cities.count() == 1
    fellow.refresh_from_db()
    assert fellow.is_active


def test_the_invitations_page_lists_and_removes(coordinator, volunteer, manager, city):
    page = Client()
    page.force_login(coordinator)
    listed = page.get("/invitations/").content.decode()
    assert volunteer.get_username() in listed and manager.get_username() in listed
    # Once, in the page's main part; the title is the page's name only.
    assert listed.count('id="people"') == 1
    assert listed.index("<main") < listed.index('id="people"') < listed.index("</main>")
    assert "<title>Invite people · Berth</title>" in listed
    browser = _signed_in_web(volunteer)

    done = page.post(f"/members/{volunteer.membership.id}/remove/", follow=True)

    assert done.redirect_chain == [("/invitations/", 302)]
    text = done.content.decode()
    assert f"{volunteer.get_username()} can no longer work in your cities." in text
    assert f"/members/{volunteer.membership.id}/remove/" not in text
    assert browser.get("/register/").status_code == 302  # to the login
    twice = page.post(f"/members/{volunteer.membership.id}/remove/", follow=True)
    assert b"has no access to your cities any more" in twice.content


def test_people_with_access_are_paged_and_found_by_username(coordinator, city):
    for n in range(55):
        factories.member(Role.VOLUNTEER, cities=[city], username=f"volunteer{n:02d}")
    factories.member(Role.VOLUNTEER, cities=[city], username="Aruzhan")
    page = _signed_in_web(coordinator)
    first = page.get("/invitations/").content.decode()
    assert "Page 1 of 2" in first and "people_page=2#people" in first
    assert "Aruzhan" in first and "volunteer48" in first and "volunteer49" not in first
    second = page.get("/invitations/", {"people_page": "2"}).content.decode()
    assert "volunteer49" in second and "volunteer54" in second and "Aruzhan" not in second
    found = page.get("/invitations/", {"who": "aru"}).content.decode()
    people = found[found.index('id="people"') :]
    assert "1 person found." in people and "Aruzhan" in people and "volunteer" not in people
    assert "Nobody of that name." in page.get("/invitations/", {"who": "zz"}).content.decode()
    assert page.get("/invitations/", {"people_page": "x"}).status_code == 200
