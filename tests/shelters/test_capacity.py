"""GET /api/v1/capacity/?city=: the sums of the city's spaces, scoped to the caller."""

import pytest

from accounts.models import Role
from shelters.models import ShelterKind, ShelterStatus
from tests import factories
from tests.conftest import client_for

from .helpers import set_counters

pytestmark = pytest.mark.django_db

URL = "/api/v1/capacity/"


@pytest.fixture
def beds(city, other_city):
    """Two cinemas' and a gym's spaces with counters, a closed school, and another city."""
    cinema = factories.ShelterFactory(city=city, kind=ShelterKind.CINEMA)
    gym = factories.ShelterFactory(city=city, kind=ShelterKind.GYM)
    school = factories.ShelterFactory(
        city=city, kind=ShelterKind.SCHOOL, status=ShelterStatus.CLOSED
    )
    spaces = [
        factories.SpaceFactory(shelter=cinema, beds=50),
        factories.SpaceFactory(shelter=cinema, beds=50),
        factories.SpaceFactory(shelter=gym, beds=80),
        factories.SpaceFactory(shelter=school, beds=40),
    ]
    set_counters(spaces[0], held=5, occupied=20)
    set_counters(spaces[2], occupied=80)
    set_counters(spaces[3], occupied=3)
    factories.SpaceFactory(shelter=factories.ShelterFactory(city=other_city), beds=999)
    return spaces


def test_capacity_is_the_sum_of_its_spaces_and_of_its_shelters(coordinator_client, city, beds):
    factories.PartyFactory(city=city, members=[{"given_name": "A"}, {"given_name": "B"}])
    factories.PartyFactory(city=city)

    response = coordinator_client.get(URL, {"city": str(city.id)})

    assert response.status_code == 200
    body = response.json()
    assert body["city"] == str(city.id)
    assert body["beds_total"] == sum(space.beds for space in beds) == 220
    assert body["beds_occupied"] == sum(space.beds_occupied for space in beds) == 103
    assert body["beds_held"] == sum(space.beds_held for space in beds) == 5
    assert body["beds_free"] == 220 - 103 - 5
    # The closed school's 37 free beds are not beds that can be given.
    assert body["beds_free_open"] == 220 - 103 - 5 - 37
    assert body["waiting_parties"] == 2
    assert body["waiting_people"] == 3
    assert body["by_kind"]["cinema"] == {"beds_total": 100, "beds_free": 75}
    assert body["by_kind"]["gym"] == {"beds_total": 80, "beds_free": 0}
    assert body["by_kind"]["school"] == {"beds_total": 40, "beds_free": 37}
    assert body["by_kind"]["hotel"] == {"beds_total": 0, "beds_free": 0}
    assert set(body["by_kind"]) == set(ShelterKind.values)

    shelters = coordinator_client.get("/api/v1/shelters/", {"city": str(city.id)}).json()
    for name in ("beds_total", "beds_occupied", "beds_held", "beds_free"):
        assert sum(row[name] for row in shelters["results"]) == body[name]


def test_an_empty_city_has_zero_capacity(coordinator_client, city):
    body = coordinator_client.get(URL, {"city": str(city.id)}).json()
    assert (body["beds_total"], body["beds_free"], body["waiting_parties"]) == (0, 0, 0)
    assert body["beds_free_open"] == 0
    assert body["waiting_people"] == 0


@pytest.mark.parametrize("query", [{}, {"city": ""}, {"city": "nope"}, {"city": "\x00"}])
def test_missing_or_invalid_city_answers_400(volunteer_client, query):
    response = volunteer_client.get(URL, query)
    assert response.status_code == 400
    assert "city" in response.json()


def test_another_city_answers_404(coordinator_client, other_city, beds):
    response = coordinator_client.get(URL, {"city": str(other_city.id)})
    assert response.status_code == 404
    assert "999" not in response.content.decode()


def test_volunteer_sees_capacity_and_a_shelter_manager_may_not(volunteer_client, city, beds):
    assert volunteer_client.get(URL, {"city": str(city.id)}).json()["beds_total"] == 220
    manager = factories.member(Role.SHELTER_MANAGER, shelters=[beds[0].shelter])
    assert client_for(manager).get(URL, {"city": str(city.id)}).status_code == 403


def test_superuser_sees_any_city(superuser_client, other_city, beds):
    response = superuser_client.get(URL, {"city": str(other_city.id)})
    assert response.status_code == 200
    assert response.json()["beds_total"] == 999
