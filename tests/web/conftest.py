import pytest
from django.test import Client

from accounts.models import Role
from arrivals import services
from tests import factories


def web_client(user=None) -> Client:
    client = Client()
    if user is not None:
        client.force_login(user)
    return client


@pytest.fixture
def shelter(city):
    return factories.ShelterFactory(city=city, name="Cinema Park", address="Dostyk Avenue 190")


@pytest.fixture
def space(shelter):
    return factories.SpaceFactory(shelter=shelter, name="Auditorium 1", beds=10)


@pytest.fixture
def manager(shelter):
    return factories.member(Role.SHELTER_MANAGER, shelters=[shelter])


@pytest.fixture
def other_manager(city):
    return factories.member(
        Role.SHELTER_MANAGER, shelters=[factories.ShelterFactory(city=city, name="Other gym")]
    )


@pytest.fixture
def other_volunteer(other_city):
    return factories.member(Role.VOLUNTEER, cities=[other_city])


@pytest.fixture
def other_coordinator(other_city):
    return factories.member(Role.COORDINATOR, cities=[other_city])


@pytest.fixture
def party(city):
    return factories.PartyFactory(
        city=city,
        contact_phone="+7 701 555 12 34",
        members=[
            {"given_name": "Aigerim", "family_name": "Nurlanova", "sex": "female"},
            {"given_name": "Timur", "family_name": "Nurlanov", "age_group": "child"},
        ],
    )


@pytest.fixture
def placed_party(party, space):
    services.placement_create(party_id=party.id, space_id=space.id, actor="test")
    party.refresh_from_db()
    return party
