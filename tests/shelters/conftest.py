import pytest

from tests import factories


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
