import pytest

from accounts.models import Role
from tests import factories
from tests.conftest import client_for


@pytest.fixture
def shelter(city):
    return factories.ShelterFactory(city=city, name="Cinema Park")


@pytest.fixture
def space(shelter):
    return factories.SpaceFactory(shelter=shelter, name="Auditorium 1", beds=10)


@pytest.fixture
def other_shelter(other_city):
    return factories.ShelterFactory(city=other_city, name="Far Gym")


@pytest.fixture
def other_space(other_shelter):
    return factories.SpaceFactory(shelter=other_shelter, name="Far Hall", beds=20)


@pytest.fixture
def manager(shelter):
    return factories.member(Role.SHELTER_MANAGER, shelters=[shelter])


@pytest.fixture
def manager_client(manager):
    return client_for(manager)


@pytest.fixture
def other_volunteer_client(other_city):
    return client_for(factories.member(Role.VOLUNTEER, cities=[other_city]))


@pytest.fixture
def other_coordinator_client(other_city):
    return client_for(factories.member(Role.COORDINATOR, cities=[other_city]))
