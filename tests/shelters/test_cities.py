"""/api/v1/cities/: the cities a caller works in, made by an administrator."""

import pytest

from accounts.models import Role
from shelters.models import City
from tests import factories
from tests.conftest import client_for

pytestmark = pytest.mark.django_db

URL = "/api/v1/cities/"


def test_coordinator_lists_own_cities_with_the_contract_fields(
    coordinator_client, city, other_city
):
    response = coordinator_client.get(URL)
    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"count", "next", "previous", "results"}
    assert body["results"] == [
        {"id": str(city.id), "name": city.name, "timezone": "Asia/Oral", "coordinator_phone": ""}
    ]


def test_each_role_sees_its_cities(city, other_city, superuser_client):
    shelter = factories.ShelterFactory(city=other_city)
    manager = client_for(factories.member(Role.SHELTER_MANAGER, shelters=[shelter]))
    two = client_for(factories.member(Role.VOLUNTEER, cities=[city, other_city]))

    def ids(client):
        return {row["id"] for row in client.get(URL).json()["results"]}

    assert ids(manager) == {str(other_city.id)}
    assert ids(two) == {str(city.id), str(other_city.id)}
    assert ids(superuser_client) == {str(city.id), str(other_city.id)}


def test_retrieve_own_and_404_for_another(volunteer_client, city, other_city):
    assert volunteer_client.get(f"{URL}{city.id}/").json()["name"] == city.name
    response = volunteer_client.get(f"{URL}{other_city.id}/")
    assert response.status_code == 404
    assert other_city.name not in response.content.decode()


def test_cities_are_never_deleted_through_the_api(superuser_client, city):
    assert superuser_client.delete(f"{URL}{city.id}/").status_code == 405
    assert superuser_client.put(f"{URL}{city.id}/", {}, format="json").status_code == 405
    assert City.objects.get().name == city.name


def test_a_member_without_a_role_sees_nothing(db):
    assert client_for(factories.UserFactory()).get(URL).status_code == 403


@pytest.mark.django_db
def test_superuser_creates_and_renames_a_city(superuser_client):
    answer = superuser_client.post(
        "/api/v1/cities/", {"name": "Atyrau", "timezone": "Asia/Atyrau"}, format="json"
    )
    assert answer.status_code == 201, answer.content
    body = answer.json()
    assert set(body) == {"id", "name", "timezone", "coordinator_phone"}
    city = City.objects.get(id=body["id"])
    assert (city.name, city.timezone) == ("Atyrau", "Asia/Atyrau")
    renamed = superuser_client.patch(
        f"/api/v1/cities/{city.id}/", {"name": "Atyrau city"}, format="json"
    )
    assert renamed.status_code == 200
    city.refresh_from_db()
    assert city.name == "Atyrau city"


@pytest.mark.django_db
@pytest.mark.parametrize(
    "body",
    [
        {"name": "Nowhere", "timezone": "Mars/Olympus"},
        {"name": "", "timezone": "Asia/Oral"},
        {"timezone": "Asia/Oral"},
        {"name": "x" * 101, "timezone": "Asia/Oral"},
    ],
)
def test_a_city_needs_a_name_and_a_real_time_zone(superuser_client, body):
    answer = superuser_client.post("/api/v1/cities/", body, format="json")
    assert answer.status_code == 400
    assert not City.objects.exists()


@pytest.mark.django_db
def test_only_superusers_create_cities(coordinator_client, volunteer_client, city):
    body = {"name": "Aktobe", "timezone": "Asia/Aqtobe"}
    assert coordinator_client.post("/api/v1/cities/", body, format="json").status_code == 403
    assert volunteer_client.post("/api/v1/cities/", body, format="json").status_code == 403
    assert (
        coordinator_client.patch(f"/api/v1/cities/{city.id}/", body, format="json").status_code
        == 403
    )
    assert not City.objects.filter(name="Aktobe").exists()


def test_a_coordinator_sets_the_phone_volunteers_call_in_their_city(
    coordinator_client, volunteer_client, city, other_city
):
    url = f"/api/v1/cities/{city.id}/"
    answer = coordinator_client.patch(url, {"coordinator_phone": "+7 701 000-11-22"}, format="json")
    assert answer.status_code == 200, answer.content
    assert answer.json()["coordinator_phone"] == "+7 701 000-11-22"
    city.refresh_from_db()
    assert city.coordinator_phone == "+7 701 000-11-22"
    # Nothing else of the city, no other city, and not a volunteer.
    renamed = coordinator_client.patch(url, {"name": "X", "coordinator_phone": ""}, format="json")
    assert renamed.status_code == 403
    other = f"/api/v1/cities/{other_city.id}/"
    assert coordinator_client.patch(other, {"coordinator_phone": "+7 1234"}).status_code == 404
    assert volunteer_client.patch(url, {"coordinator_phone": "+7 1234"}).status_code == 403
    city.refresh_from_db()
    assert (city.name, city.coordinator_phone) != ("X", "")
    bad = coordinator_client.patch(url, {"coordinator_phone": "call me"}, format="json")
    assert bad.status_code == 400
    assert "coordinator_phone" in bad.json()


@pytest.mark.django_db
def test_a_city_is_created_with_its_coordinator_phone(superuser_client):
    body = {"name": "Aktobe", "timezone": "Asia/Aqtobe", "coordinator_phone": "+7 701 555 0101"}
    answer = superuser_client.post("/api/v1/cities/", body, format="json")
    assert answer.status_code == 201, answer.content
    assert answer.json()["coordinator_phone"] == "+7 701 555 0101"
    assert City.objects.get().coordinator_phone == "+7 701 555 0101"
