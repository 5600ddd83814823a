"""The back office for members and API keys: coordinators see their cities', read-only."""

import pytest
from django.test import Client

from accounts.models import ApiKey, Membership, Role, Scope
from accounts.services import api_key_create
from tests import factories

pytestmark = pytest.mark.django_db

MEMBERS = "/admin/accounts/membership/"
KEYS = "/admin/accounts/apikey/"


def login(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def listed(response) -> set:
    assert response.status_code == 200
    return set(response.context["cl"].result_list)


@pytest.fixture
def coordinator(city):
    return factories.member(Role.COORDINATOR, cities=[city], is_staff=True)


@pytest.fixture
def keys(coordinator, city, other_city):
    mine, _key = api_key_create(
        name="Bot", scopes=[Scope.CAPACITY_READ], cities=[city], created_by=coordinator
    )
    stranger = factories.member(Role.COORDINATOR, cities=[other_city], is_staff=True)
    theirs, _key = api_key_create(
        name="Far bot", scopes=[Scope.CAPACITY_READ], cities=[other_city], created_by=stranger
    )
    return mine, theirs


def test_coordinator_sees_the_members_of_own_cities_read_only(coordinator, city, other_city):
    here = factories.member(Role.VOLUNTEER, cities=[city])
    factories.member(Role.VOLUNTEER, cities=[other_city])
    client = login(coordinator)

    assert listed(client.get(MEMBERS)) == {coordinator.membership, here.membership}
    assert client.get(f"{MEMBERS}{here.membership.pk}/change/").status_code == 200
    response = client.post(
        f"{MEMBERS}{here.membership.pk}/change/", {"user": here.pk, "role": "coordinator"}
    )
    assert response.status_code == 403
    here.membership.refresh_from_db()
    assert here.membership.role == Role.VOLUNTEER
    assert client.get(f"{MEMBERS}add/").status_code == 403


def test_a_member_of_another_city_is_not_found(coordinator, other_city):
    far = factories.member(Role.VOLUNTEER, cities=[other_city])
    response = login(coordinator).get(f"{MEMBERS}{far.membership.pk}/change/")
    assert response.status_code == 302
    assert response["Location"] == "/admin/"


def test_superuser_changes_a_role(city):
    admin_user = factories.UserFactory(is_superuser=True, is_staff=True)
    person = factories.member(Role.VOLUNTEER, cities=[city])
    response = login(admin_user).post(
        f"{MEMBERS}{person.membership.pk}/change/",
        {"user": person.pk, "role": "coordinator", "cities": [city.pk], "_save": "Save"},
    )
    assert response.status_code == 302
    assert Membership.objects.get(user=person).role == Role.COORDINATOR
    person.refresh_from_db()
    assert person.is_staff  # the back office opens with the role
    response = login(admin_user).post(
        f"{MEMBERS}{person.membership.pk}/change/",
        {"user": person.pk, "role": "volunteer", "cities": [city.pk], "_save": "Save"},
    )
    assert response.status_code == 302
    person.refresh_from_db()
    assert not person.is_staff  # and closes with it: a volunteer has no back office


def test_coordinator_sees_and_revokes_only_own_citys_keys(coordinator, keys):
    mine, theirs = keys
    client = login(coordinator)
    assert listed(client.get(KEYS)) == {mine}
    assert client.get(f"{KEYS}{theirs.pk}/change/").status_code == 302

    response = client.post(
        KEYS, {"action": "revoke", "_selected_action": [str(mine.pk), str(theirs.pk)]}
    )
    assert response.status_code == 302
    mine.refresh_from_db()
    theirs.refresh_from_db()
    assert mine.revoked_at is not None
    assert theirs.revoked_at is None


def test_api_keys_are_read_only_in_the_admin(coordinator, keys):
    mine, _theirs = keys
    client = login(coordinator)
    page = client.get(f"{KEYS}{mine.pk}/change/")
    assert page.status_code == 200
    assert mine.digest not in page.content.decode()
    assert 'name="name"' not in page.content.decode()
    assert client.get(f"{KEYS}add/").status_code == 403
    assert client.post(f"{KEYS}{mine.pk}/change/", {"name": "Renamed"}).status_code == 403
    assert client.post(f"{KEYS}{mine.pk}/delete/", {"post": "yes"}).status_code == 403
    mine.refresh_from_db()
    assert mine.name == "Bot"
    assert ApiKey.objects.count() == 2


def test_shelter_managers_see_no_members_or_keys(city, keys):
    shelter = factories.ShelterFactory(city=city)
    manager = factories.member(Role.SHELTER_MANAGER, shelters=[shelter], is_staff=True)
    client = login(manager)
    assert client.get(MEMBERS).status_code == 403
    assert client.get(KEYS).status_code == 403


def test_the_back_office_speaks_kazakh_where_django_does_not(coordinator):
    client = login(coordinator)
    client.cookies["django_language"] = "kk"
    page = client.get("/admin/").content.decode()
    assert "Негізгі мазмұнға өту" in page and "Skip to main content" not in page
    assert "Berth: басқару панелі" in page and "Даңғо" not in page  # whose it is
