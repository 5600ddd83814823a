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
    assert body["results"] == [{"id": str(city.id), "name": city.name, "timezone": "Asia/Oral"}]


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


def test_nobody_writes_cities_through_the_api(coordinator_client, superuser_client, city):
    for client in (coordinator_client, superuser_client):
        assert client.post(URL, {"name": "New", "timezone": "UTC"}, format="json").status_code == (
            405
        )
        assert client.patch(f"{URL}{city.id}/", {"name": "X"}, format="json").status_code == 405
    assert City.objects.count() == 1
    assert City.objects.get().name == city.name


def test_a_member_without_a_role_sees_nothing(db):
    assert client_for(factories.UserFactory()).get(URL).status_code == 403
