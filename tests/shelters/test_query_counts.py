"""List endpoints cost the same number of queries for 5 rows as for 40 (no N+1)."""

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model

from accounts.models import Role
from tests import factories
from tests.conftest import client_for

pytestmark = pytest.mark.django_db

# A coordinator's request: the membership with its shelters and its cities (accounts.access:
# one query on PostgreSQL, three elsewhere), then the page's count and its rows.
ACCESS_QUERIES = 1 if "postgresql" in settings.DATABASES["default"]["ENGINE"] else 3


def fresh_client(user):
    """A client for the user as a request sees it (nothing cached on the instance)."""
    return client_for(get_user_model().objects.get(pk=user.pk))


@pytest.fixture
def coordinator_of(city):
    return fresh_client(factories.member(Role.COORDINATOR, cities=[city]))


@pytest.mark.parametrize("rows", [5, 40])
def test_shelters_list(django_assert_num_queries, coordinator_of, city, rows):
    for _ in range(rows):
        shelter = factories.ShelterFactory(city=city)
        factories.SpaceFactory(shelter=shelter)
        factories.SpaceFactory(shelter=shelter)

    # The page with its count (COUNT(*) OVER (): config.pagination.CountedPaginator).
    with django_assert_num_queries(ACCESS_QUERIES + 1):
        response = coordinator_of.get("/api/v1/shelters/")

    assert response.status_code == 200
    assert len(response.json()["results"]) == rows
    assert all(row["beds_total"] == 20 for row in response.json()["results"])


def test_an_empty_shelters_list_is_one_query_and_a_page_past_it_is_not_found(
    django_assert_num_queries, coordinator_of, city
):
    factories.SpaceFactory(shelter=factories.ShelterFactory(city=city), beds=0)

    # The empty first page says the count: 0, asked of nobody.
    with django_assert_num_queries(ACCESS_QUERIES + 1):
        response = coordinator_of.get("/api/v1/shelters/", {"has_free_beds": "true"})

    assert response.status_code == 200
    assert response.json()["count"] == 0 and response.json()["results"] == []
    past = coordinator_of.get("/api/v1/shelters/", {"has_free_beds": "true", "page": 2})
    assert past.status_code == 404
    beyond = coordinator_of.get("/api/v1/shelters/", {"page": 2})
    assert beyond.status_code == 404


@pytest.mark.parametrize("rows", [5, 40])
def test_spaces_list(django_assert_num_queries, coordinator_of, city, rows):
    shelters = [factories.ShelterFactory(city=city) for _ in range(3)]
    for number in range(rows):
        factories.SpaceFactory(shelter=shelters[number % 3])

    with django_assert_num_queries(ACCESS_QUERIES + 2):
        response = coordinator_of.get("/api/v1/spaces/")

    assert response.status_code == 200
    assert len(response.json()["results"]) == rows


@pytest.mark.parametrize("rows", [5, 40])
def test_cities_list(django_assert_num_queries, rows):
    cities = [factories.CityFactory() for _ in range(rows)]
    client = fresh_client(factories.member(Role.VOLUNTEER, cities=cities))

    with django_assert_num_queries(ACCESS_QUERIES + 2):
        response = client.get("/api/v1/cities/")

    assert response.status_code == 200
    assert len(response.json()["results"]) == rows


@pytest.mark.parametrize("rows", [5, 40])
def test_members_list(django_assert_num_queries, coordinator_of, city, rows):
    shelter = factories.ShelterFactory(city=city)
    for number in range(rows - 1):  # and the coordinator
        if number % 2:
            factories.member(Role.VOLUNTEER, cities=[city])
        else:
            factories.member(Role.SHELTER_MANAGER, shelters=[shelter])

    # the page's count and rows, then the members' cities and shelters (prefetched)
    with django_assert_num_queries(ACCESS_QUERIES + 4):
        response = coordinator_of.get("/api/v1/members/")

    assert response.status_code == 200
    assert len(response.json()["results"]) == rows
