"""Issue 10, item 3: `GET /parties/?page_size=500` as a volunteer returned every party of the
city with names, notes, needs and addresses. Volunteers list only their own registrations;
by `?code=` any party of their cities."""

import pytest

from accounts.models import Role
from tests import factories
from tests.arrivals.parties.conftest import (  # noqa: F401 - fixtures
    PARTIES,
    api_key_client,
    body,
    placed,
    register,
    space,
)
from tests.conftest import client_for

pytestmark = pytest.mark.django_db


def listed(client, **query) -> set:
    answer = client.get(PARTIES, {"page_size": 500, **query})
    assert answer.status_code == 200, answer.content
    return {row["id"] for row in answer.json()["results"]}


def registered(client, city, name: str) -> str:
    data = body(city, members=[{"given_name": name, "sex": "female"}], notes=f"{name}'s notes")
    answer = client.post(PARTIES, data, format="json")
    assert answer.status_code == 201, answer.content
    return answer.json()["id"]


def test_a_volunteer_lists_only_their_own_registrations(city, volunteer_client, coordinator_client):
    colleague = client_for(factories.member(Role.VOLUNTEER, cities=[city]))
    mine = registered(volunteer_client, city, "Mine")
    theirs = registered(colleague, city, "Theirs")
    by_coordinator = registered(coordinator_client, city, "Coordinated")

    assert listed(volunteer_client) == {mine}
    answer = volunteer_client.get(PARTIES, {"page_size": 500}).content.decode()
    assert "Theirs" not in answer and "Coordinated" not in answer
    assert listed(colleague) == {theirs}
    # Filters narrow the list further; they never widen it.
    assert listed(volunteer_client, status="waiting") == {mine}
    assert listed(volunteer_client, city=str(city.id)) == {mine}
    # Coordinators still list every party of their cities.
    assert listed(coordinator_client) == {mine, theirs, by_coordinator}


def test_by_code_a_volunteer_finds_any_party_of_their_cities(
    city, volunteer_client, coordinator_client, other_city, other_volunteer_client
):
    theirs = registered(coordinator_client, city, "Theirs")
    code = coordinator_client.get(f"{PARTIES}{theirs}/").json()["code"]
    assert listed(volunteer_client, code=code) == {theirs}
    assert listed(volunteer_client, code=f" {code.lower()} ") == {theirs}
    assert listed(volunteer_client, code="ZZZZZZ") == set()
    # Never another city's.
    assert listed(other_volunteer_client, code=code) == set()
    # An empty code is no code: their own list again.
    assert listed(volunteer_client, code="") == set()


def test_managers_and_keys_keep_their_lists(request, city, volunteer_client, manager_client):
    held = request.getfixturevalue("placed")
    keys = request.getfixturevalue("api_key_client")
    waiting = registered(volunteer_client, city, "Waiting")
    assert listed(manager_client) == {str(held.id)}
    assert listed(keys) == {str(held.id), waiting}
