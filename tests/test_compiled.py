"""`config.compiled.CompiledRows`: a list's SQL is compiled once per key and run anew on
each call; and the shelters list, which uses it, keys it by everything it is built from."""

import uuid
from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model

from accounts.models import Membership, Role
from config import compiled
from shelters.models import Shelter, Space
from shelters.selectors import shelters_with_beds
from tests import factories
from tests.conftest import client_for

pytestmark = pytest.mark.django_db


def shelters_page(city):
    return shelters_with_beds(Shelter.objects.filter(city=city)).order_by("name", "id")


def rows_of(key, build):
    """CompiledRows over `build`, counting how often it is built."""
    built = []

    def counted():
        built.append(1)
        return build()

    return compiled.CompiledRows(key, counted), built


def test_a_page_is_what_the_queryset_gives(city):
    for number in range(5):
        shelter = factories.ShelterFactory(
            city=city, latitude=Decimal(f"51.2{number}0001"), longitude=Decimal("51.366")
        )
        factories.SpaceFactory(shelter=shelter, beds=number)
    columns = ("id", "name", "latitude", "beds_total", "beds_free", "version")

    def build():
        return shelters_page(city).values(*columns)

    rows, _built = rows_of(uuid.uuid4(), build)

    page = rows.page(1, 3)

    expected = list(build()[1:4])
    assert page == expected
    assert [list(row) for row in page] == [list(columns)] * 3  # names in the columns' order
    assert [type(row["latitude"]) for row in page] == [Decimal] * 3
    assert [row["beds_total"] for row in page] == [1, 2, 3]


def test_a_kept_statement_reads_the_rows_anew(city, django_assert_num_queries):
    space = factories.SpaceFactory(shelter=factories.ShelterFactory(city=city), beds=4)
    rows, built = rows_of(uuid.uuid4(), lambda: shelters_page(city).values("beds_free"))
    assert rows.page(0, 10) == [{"beds_free": 4}]
    Space.objects.filter(id=space.id).update(beds=9)

    with django_assert_num_queries(1):
        again = rows.page(0, 10)

    assert again == [{"beds_free": 9}]
    assert len(built) == 1  # built and compiled once for the key and bounds
    rows.page(10, 10)  # other bounds: another statement
    assert len(built) == 2


def test_a_query_that_can_match_nothing_asks_nothing(django_assert_num_queries):
    rows, _built = rows_of(uuid.uuid4(), lambda: Shelter.objects.none().values("id"))

    with django_assert_num_queries(0):
        assert rows.page(0, 10) == []


def test_the_least_recently_used_statement_is_forgotten_first(city, monkeypatch):
    monkeypatch.setattr(compiled, "CACHE_SIZE", 2)
    compiled.cache_clear()
    factories.ShelterFactory(city=city)
    lists = {name: rows_of(name, lambda: shelters_page(city).values("id")) for name in "abc"}
    for name in "aba":
        lists[name][0].page(0, 5)
    lists["c"][0].page(0, 5)  # the cache is full: b, the least recently used, goes

    for name in "acb":
        lists[name][0].page(0, 5)

    assert {name: len(built) for name, (_rows, built) in lists.items()} == {
        "a": 1,
        "b": 2,
        "c": 1,
    }


def names(response) -> set[str]:
    assert response.status_code == 200, response.content
    return {row["name"] for row in response.json()["results"]}


def test_the_shelters_list_is_kept_apart_by_reach_and_filters(city, other_city):
    factories.SpaceFactory(shelter=factories.ShelterFactory(city=city, name="Gym"), beds=5)
    factories.SpaceFactory(shelter=factories.ShelterFactory(city=city, name="Full"), beds=0)
    factories.SpaceFactory(shelter=factories.ShelterFactory(city=other_city, name="Cinema"))
    here = factories.member(Role.VOLUNTEER, cities=[city])
    there = client_for(factories.member(Role.VOLUNTEER, cities=[other_city]))

    # The same parameters, asked by callers of other cities, one after the other.
    assert names(client_for(here).get("/api/v1/shelters/")) == {"Gym", "Full"}
    assert names(there.get("/api/v1/shelters/")) == {"Cinema"}
    assert names(client_for(here).get("/api/v1/shelters/", {"has_free_beds": "true"})) == {"Gym"}
    assert names(client_for(here).get("/api/v1/shelters/", {"has_free_beds": "false"})) == {"Full"}
    # Given the other city too, the same caller's next request sees it.
    Membership.objects.get(user=here).cities.add(other_city)
    here = get_user_model().objects.get(pk=here.pk)
    assert names(client_for(here).get("/api/v1/shelters/")) == {"Gym", "Full", "Cinema"}
