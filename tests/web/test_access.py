"""Who may open which page: anonymous -> login, wrong role -> 403, outside scope -> 404."""

import pytest
from django.urls import reverse

from accounts.models import Role
from tests import factories

from .conftest import web_client

pytestmark = pytest.mark.django_db


def _pages(party, shelter):
    return [
        reverse("home"),
        reverse("web-register"),
        reverse("web-find"),
        reverse("web-party", args=[party.id]),
        reverse("web-shelter", args=[shelter.id]),
    ]


def test_anonymous_is_sent_to_login(party, shelter):
    client = web_client()
    for url in _pages(party, shelter):
        response = client.get(url)
        assert response.status_code == 302, url
        assert response["Location"].startswith("/accounts/login/?next="), url


def test_anonymous_posts_are_sent_to_login(party, space):
    client = web_client()
    for url in [
        reverse("web-party-check-in", args=[party.id]),
        reverse("web-party-cancel", args=[party.id]),
        reverse("web-space-beds", args=[space.id]),
        reverse("web-shelter-status", args=[space.shelter_id]),
    ]:
        response = client.post(url, {"beds": 3, "version": 1, "status": "closed"})
        assert response.status_code == 302
        assert response["Location"].startswith("/accounts/login/")
    party.refresh_from_db()
    space.refresh_from_db()
    assert party.status == "waiting"
    assert space.beds == 10


def test_login_page_and_session_login(db):
    user = factories.member(Role.VOLUNTEER, cities=[factories.CityFactory()])
    client = web_client()
    page = client.get("/accounts/login/")
    assert page.status_code == 200
    assert b'name="password"' in page.content
    bad = client.post("/accounts/login/", {"username": user.username, "password": "wrong"})
    assert bad.status_code == 200
    assert b'class="error-summary"' in bad.content
    good = client.post(
        "/accounts/login/", {"username": user.username, "password": factories.PASSWORD}
    )
    assert good.status_code == 302
    assert good["Location"] == "/"
    assert client.get("/").status_code == 200


def test_logout_is_a_post(volunteer):
    client = web_client(volunteer)
    assert client.post("/accounts/logout/").status_code == 302
    assert client.get("/").status_code == 302


@pytest.mark.parametrize("role_user", ["volunteer", "coordinator"])
def test_city_staff_pages(request, role_user, party):
    client = web_client(request.getfixturevalue(role_user))
    assert client.get(reverse("home")).status_code == 200
    assert client.get(reverse("web-register")).status_code == 200
    assert client.get(reverse("web-find")).status_code == 200
    assert client.get(reverse("web-party", args=[party.id])).status_code == 200


def test_volunteer_may_not_open_shelter_page(volunteer, shelter):
    client = web_client(volunteer)
    assert client.get(reverse("web-shelter", args=[shelter.id])).status_code == 403


def test_manager_may_not_register(manager):
    client = web_client(manager)
    assert client.get(reverse("web-register")).status_code == 403
    assert client.post(reverse("web-register"), {}).status_code == 403


def test_user_without_role(db, party):
    client = web_client(factories.UserFactory())
    home = client.get(reverse("home"))
    assert home.status_code == 200
    assert b"no role" in home.content
    assert client.get(reverse("web-register")).status_code == 403
    assert client.get(reverse("web-party", args=[party.id])).status_code == 403


def test_objects_of_another_city_answer_404(other_volunteer, other_coordinator, party, shelter):
    for user in (other_volunteer, other_coordinator):
        client = web_client(user)
        assert client.get(reverse("web-party", args=[party.id])).status_code == 404
    client = web_client(other_coordinator)
    assert client.get(reverse("web-shelter", args=[shelter.id])).status_code == 404


def test_manager_sees_only_parties_placed_in_their_shelter(manager, other_manager, placed_party):
    url = reverse("web-party", args=[placed_party.id])
    assert web_client(manager).get(url).status_code == 200
    assert web_client(other_manager).get(url).status_code == 404


def test_manager_of_another_shelter_gets_404(other_manager, shelter):
    client = web_client(other_manager)
    assert client.get(reverse("web-shelter", args=[shelter.id])).status_code == 404


def test_superuser_may_open_everything(db, party, shelter):
    client = web_client(factories.UserFactory(is_superuser=True, is_staff=True))
    for url in _pages(party, shelter):
        assert client.get(url).status_code == 200, url


def test_unknown_ids_and_wrong_methods(volunteer):
    client = web_client(volunteer)
    assert client.get("/parties/00000000-0000-0000-0000-000000000000/").status_code == 404
    assert client.get("/parties/not-a-uuid/").status_code == 404
    assert client.get("/parties/00000000-0000-0000-0000-000000000000/cancel/").status_code == 405
