"""`manage.py load_demo`: the demo city of Uralsk, the same on every run."""

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command
from django.test import override_settings

from accounts.models import ApiKey, Membership, Role, Scope
from accounts.services import api_key_create
from shelters.models import Admits, City, Shelter, ShelterKind, Space

pytestmark = pytest.mark.django_db


def load() -> None:
    with override_settings(ALLOW_DEMO_DATA=True):
        call_command("load_demo", verbosity=0)


def counts() -> dict:
    return {
        "cities": City.objects.count(),
        "shelters": Shelter.objects.count(),
        "spaces": Space.objects.count(),
        "beds": sum(Space.objects.values_list("beds", flat=True)),
        "members": Membership.objects.count(),
        "users": get_user_model().objects.count(),
    }


def test_refuses_without_debug_or_allow_demo_data():
    with pytest.raises(CommandError):
        call_command("load_demo")
    assert not City.objects.exists()


def test_loads_uralsk():
    load()

    city = City.objects.get()
    assert (city.name, city.timezone) == ("Uralsk", "Asia/Oral")
    shelters = Shelter.objects.filter(city=city)

    cinema = shelters.get(name="Cinema Park")
    assert cinema.kind == ShelterKind.CINEMA
    auditoriums = list(cinema.spaces.order_by("name"))
    assert [space.name for space in auditoriums] == [f"Auditorium {n}" for n in range(1, 5)]
    assert all(space.beds == 50 for space in auditoriums)
    assert [space.wheelchair_accessible for space in auditoriums] == [True, False, False, False]

    assert shelters.filter(kind=ShelterKind.GYM).count() == 2
    school = shelters.get(kind=ShelterKind.SCHOOL)
    assert school.spaces.filter(admits=Admits.WOMEN_AND_CHILDREN).exists()
    assert shelters.filter(kind=ShelterKind.DORMITORY).count() == 1

    apartments = shelters.filter(kind=ShelterKind.APARTMENT)
    assert apartments.count() == 20
    apartment_beds = list(
        Space.objects.filter(shelter__in=apartments).values_list("beds", flat=True)
    )
    assert len(apartment_beds) == 20
    assert all(2 <= beds <= 6 for beds in apartment_beds)
    pets = apartments.filter(pets_allowed=True).count()
    assert 0 < pets < 20

    assert all(space.beds_occupied == space.beds_held == 0 for space in Space.objects.all())

    roles = {m.user.username: m for m in Membership.objects.select_related("user")}
    assert {name: m.role for name, m in roles.items()} == {
        "coordinator": Role.COORDINATOR,
        "volunteer1": Role.VOLUNTEER,
        "volunteer2": Role.VOLUNTEER,
        "cinema_manager": Role.SHELTER_MANAGER,
    }
    assert list(roles["coordinator"].cities.all()) == [city]
    assert list(roles["volunteer1"].cities.all()) == [city]
    assert list(roles["cinema_manager"].shelters.all()) == [cinema]
    assert roles["coordinator"].user.is_staff and roles["cinema_manager"].user.is_staff
    assert not roles["volunteer1"].user.is_staff
    assert roles["volunteer1"].user.check_password("berth-demo-2022")


def test_running_twice_gives_the_same_demo():
    load()
    first = counts()
    names = sorted(Shelter.objects.values_list("name", flat=True))
    # a key made by the demo coordinator must not block the reload
    coordinator = get_user_model().objects.get(username="coordinator")
    api_key_create(
        name="Bot",
        scopes=[Scope.CAPACITY_READ],
        cities=[City.objects.get()],
        created_by=coordinator,
    )

    load()

    assert counts() == first
    assert first["cities"] == 1
    assert first["shelters"] == 1 + 2 + 1 + 1 + 20
    assert first["members"] == 4
    assert sorted(Shelter.objects.values_list("name", flat=True)) == names
    assert not ApiKey.objects.exists()


def test_if_empty_leaves_existing_cities_alone():
    City.objects.create(name="Aktobe", timezone="Asia/Aqtobe")
    with override_settings(ALLOW_DEMO_DATA=True):
        call_command("load_demo", "--if-empty", verbosity=0)
    assert list(City.objects.values_list("name", flat=True)) == ["Aktobe"]
    assert not Shelter.objects.exists()
