"""Fixtures of the party (arrival registration) tests: a city with a shelter and a
space, people of every role, an API key, and a valid registration body."""

import pytest

from accounts.models import Role, Scope
from arrivals import services
from arrivals.models import MatchingRun, Party, RunStatus
from tests import factories
from tests.conftest import client_for, key_client

PARTIES = "/api/v1/parties/"


def party_url(party_id, action: str | None = None) -> str:
    return f"{PARTIES}{party_id}/" + (f"{action}/" if action else "")


def body(city, /, **overrides) -> dict:
    """A valid registration of two people, with every personal field filled."""
    data = {
        "city": str(city.id),
        "registration_point": "Railway station",
        "contact_phone": "+7 701 123-45-67",
        "languages": ["ru", "kk"],
        "pets": 0,
        "nights_needed": 3,
        "notes": "Arrived by the night train",
        "consent": True,
        "members": [
            {
                "given_name": "Aigerim",
                "family_name": "Nurlanova",
                "sex": "female",
                "age_group": "adult",
                "needs": ["pregnant"],
                "diet": ["halal"],
            },
            {"given_name": "Timur", "sex": "male", "age_group": "child"},
        ],
    }
    data.update(overrides)
    return data


@pytest.fixture
def space(shelter):
    return factories.SpaceFactory(shelter=shelter, beds=10)


@pytest.fixture
def other_shelter(city):
    return factories.ShelterFactory(city=city)


@pytest.fixture
def other_manager(other_shelter):
    return factories.member(Role.SHELTER_MANAGER, shelters=[other_shelter])


@pytest.fixture
def other_manager_client(other_manager):
    return client_for(other_manager)


@pytest.fixture
def api_key_client(city, coordinator):
    return key_client(city, coordinator, [Scope.PARTIES_READ, Scope.PARTIES_WRITE])


@pytest.fixture
def register(volunteer_client, city):
    """Register a party through the API as the city's volunteer; returns the Party."""

    def _register(client=None, in_city=None, **overrides):
        data = body(in_city or city, **overrides)
        response = (client or volunteer_client).post(PARTIES, data, format="json")
        assert response.status_code == 201, response.content
        return Party.objects.get(id=response.data["id"])

    return _register


@pytest.fixture
def placed(register, space):
    """A party of two, placed by hand (held) in `space`. The run its registration asked
    for is then done, as a worker would have done it (it finds the party placed)."""
    party = register()
    services.placement_create(party_id=party.id, space_id=space.id, actor="coord")
    for run in MatchingRun.objects.filter(city=party.city, status=RunStatus.QUEUED):
        services.matching_run_execute(run_id=run.id)
    party.refresh_from_db()
    return party


@pytest.fixture
def checked_in(placed, coordinator_client):
    response = coordinator_client.post(party_url(placed.id, "check-in"))
    assert response.status_code == 200, response.content
    placed.refresh_from_db()
    return placed
