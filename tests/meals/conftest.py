"""Fixtures of the meals tests: a city with a shelter (one hall of 20 beds), people of
every role, an API key with meals:write, and helpers that place people there through
the arrivals services."""

import zoneinfo
from datetime import datetime

import pytest

from accounts.models import Role, Scope
from arrivals import services as arrivals
from meals.models import MealService
from tests import factories
from tests.conftest import client_for, key_client

SERVICES = "/api/v1/meal-services/"
SCHEDULES = "/api/v1/meal-schedules/"
REPORT = "/api/v1/meals/report/"


def service_url(service_id, action: str | None = None) -> str:
    return f"{SERVICES}{service_id}/" + (f"{action}/" if action else "")


def party_of(city, *diets: list) -> object:
    """A waiting party with one member per entry of `diets` (each a list of diets)."""
    return factories.PartyFactory(
        city=city,
        members=[{"given_name": f"P{i}", "diet": list(diet)} for i, diet in enumerate(diets)],
    )


def place(party, space):
    """Hold beds for a party in a space, as a coordinator would."""
    return arrivals.placement_create(party_id=party.id, space_id=space.id, actor="coord")


def meal_service(*, shelter=None, city=None, location="", meal="lunch", starts_at, **fields):
    return MealService.objects.create(
        city=city or shelter.city,
        shelter=shelter,
        location=location,
        meal=meal,
        starts_at=starts_at,
        created_by="test",
        **fields,
    )


def at(city, text: str) -> datetime:
    """An instant given as local wall time in the city, e.g. at(city, "2030-05-01 13:00")."""
    return datetime.fromisoformat(text).replace(tzinfo=zoneinfo.ZoneInfo(city.timezone))


@pytest.fixture
def space(shelter):
    return factories.SpaceFactory(shelter=shelter, beds=20)


@pytest.fixture
def other_shelter(city):
    return factories.ShelterFactory(city=city)


@pytest.fixture
def other_manager_client(other_shelter):
    return client_for(factories.member(Role.SHELTER_MANAGER, shelters=[other_shelter]))


@pytest.fixture
def meals_key_client(city, coordinator):
    return key_client(city, coordinator, [Scope.MEALS_WRITE])


@pytest.fixture
def parties_key_client(city, coordinator):
    return key_client(city, coordinator, [Scope.PARTIES_WRITE, Scope.PARTIES_READ])
