"""`manage.py load_demo`: the demo city of Uralsk, the same on every run, in Russian or
Kazakh."""

import re
import zoneinfo
from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command
from django.test import override_settings
from django.utils import timezone

from accounts.access import access_for_user
from accounts.models import ApiKey, Invitation, Membership, Role, Scope
from accounts.services import api_key_create, invitation_create
from arrivals.models import CapacitySnapshot, Party, PartyStatus, WaitingReason
from meals.models import MealService, Serving
from meals.services import meal_service_create, meal_services_create_for_day, serving_record
from shelters.models import Admits, City, HostOffer, Shelter, ShelterKind, Space
from shelters.services import host_offer_submit
from webhooks.models import Subscription

pytestmark = pytest.mark.django_db


def load(*arguments: str) -> None:
    with override_settings(ALLOW_DEMO_DATA=True):
        call_command("load_demo", *arguments, verbosity=0)


LATIN = re.compile("[A-Za-z]")


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
    assert (city.name, city.timezone) == ("Уральск", "Asia/Oral")
    shelters = Shelter.objects.filter(city=city)

    cinema = shelters.get(name="Кинотеатр «Арман»")
    assert cinema.kind == ShelterKind.CINEMA
    assert cinema.address == "пр. Достык, 190, Уральск"
    auditoriums = list(cinema.spaces.order_by("name"))
    assert [space.name for space in auditoriums] == [f"Зал {n}" for n in range(1, 5)]
    assert all(space.beds == 50 for space in auditoriums)
    assert [space.wheelchair_accessible for space in auditoriums] == [True, False, False, False]

    assert sorted(shelters.filter(kind=ShelterKind.GYM).values_list("name", flat=True)) == [
        "Спортзал школы № 12",
        "Спортзал школы № 24",
    ]
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

    assert all(space.beds_occupied == 0 for space in Space.objects.all())

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


def test_a_reload_after_the_demo_was_used_replaces_it():
    """What demo logins make in the city (an invitation, a meal service with servings, a
    host offer, a webhook) would protect it from deletion: the reload removes it too."""
    load()
    city = City.objects.get()
    coordinator = get_user_model().objects.get(username="coordinator")
    invitation_create(created_by=coordinator, city=city, role=Role.VOLUNTEER)
    service = meal_service_create(
        meal="dinner",
        starts_at=timezone.now() + timedelta(hours=1),
        access=access_for_user(coordinator),
        city=city,
        location="Bus station",
        planned_portions=40,
    )
    serving_record(service_id=service.id, portions=5, diet={}, actor="coordinator")
    host_offer_submit(
        data={
            "city": city,
            "host_name": "Gulnara",
            "contact_phone": "+7 701 555-12-34",
            "address": "Abai Avenue 12",
            "beds": 2,
        }
    )
    Subscription.objects.create(
        city=city, url="https://example.org/hook", events=["party.placed"], secret="whsec_AAAA"
    )

    load("--language", "kk")

    assert City.objects.count() == 1
    for model in (Invitation, Serving, HostOffer, Subscription):
        assert not model.objects.exists(), model.__name__
    assert not MealService.objects.filter(id=service.id).exists()
    assert MealService.objects.filter(city=City.objects.get()).count() == 4  # the demo's own


def test_if_empty_leaves_existing_cities_alone():
    City.objects.create(name="Aktobe", timezone="Asia/Aqtobe")
    with override_settings(ALLOW_DEMO_DATA=True):
        call_command("load_demo", "--if-empty", verbosity=0)
    assert list(City.objects.values_list("name", flat=True)) == ["Aktobe"]
    assert not Shelter.objects.exists()


def texts_of_the_city() -> list[str]:
    """Every name and address a person reads in the demo city."""
    return [
        *City.objects.values_list("name", flat=True),
        *Shelter.objects.values_list("name", flat=True),
        *Shelter.objects.values_list("address", flat=True),
        *Shelter.objects.exclude(notes="").values_list("notes", flat=True),
        *Space.objects.values_list("name", flat=True),
        *Party.objects.values_list("registration_point", flat=True),
        *Party.objects.exclude(notes="").values_list("notes", flat=True),
    ]


def test_the_city_is_written_in_russian_with_its_first_parties(
    django_capture_on_commit_callbacks,
):
    with django_capture_on_commit_callbacks(execute=True):
        load()

    texts = texts_of_the_city()
    assert len(texts) > 60
    assert [text for text in texts if LATIN.search(text)] == []
    assert "Общежитие аграрного колледжа" in texts
    assert any(text.startswith("ул. Курмангазы") for text in texts)
    # The first parties at the bus station, registered by a demo volunteer (who sees them on
    # the start page), with the names people in Uralsk have.
    parties = list(Party.objects.prefetch_related("members").order_by("created_at"))
    assert len(parties) == 5
    volunteer = get_user_model().objects.get(username="volunteer1")
    assert {party.created_by_id for party in parties} == {volunteer.id}
    first = parties[0].members.all()
    assert [member.given_name for member in first] == ["Айгерим", "Тимур", "Айнур"]
    assert first[0].family_name == "Нурланова"
    assert "Дмитрий" in [member.given_name for member in parties[1].members.all()]
    names = [member.given_name for party in parties for member in party.members.all()]
    assert [name for name in names if LATIN.search(name)] == []
    # Matching ran after the commit (in-process here, a worker otherwise): the family with a cat
    # and a wheelchair waits, and the page says why; the others have beds.
    family = parties[2]
    assert family.status == PartyStatus.WAITING
    assert family.waiting_reason in {
        WaitingReason.NO_PET_FRIENDLY_SPACE,
        WaitingReason.NO_ACCESSIBLE_SPACE,
    }
    assert [party.status for party in parties if party is not family] == [PartyStatus.PLACED] * 4


def test_the_city_in_kazakh():
    load("--language", "kk")

    city = City.objects.get()
    assert city.name == "Орал"
    texts = texts_of_the_city()
    assert [text for text in texts if LATIN.search(text)] == []
    assert "«Арман» кинотеатры" in texts
    assert "№ 12 мектептің спорт залы" in texts
    assert any(text.startswith("Құрманғазы көшесі") for text in texts)
    assert Party.objects.count() == 5


def test_a_reload_in_the_other_language_replaces_the_demo():
    load()
    russian = counts()
    load("--language", "kk")
    assert counts() == russian
    assert list(City.objects.values_list("name", flat=True)) == ["Орал"]
    assert Party.objects.count() == 5


def test_the_kitchens_have_today_s_meals_whatever_the_hour(client):
    load()
    city = City.objects.get()
    cinema = Shelter.objects.get(kind=ShelterKind.CINEMA)
    today = timezone.localtime(timezone.now(), zoneinfo.ZoneInfo(city.timezone)).date()
    services = MealService.objects.filter(city=city)
    on_day = [timezone.localtime(s.starts_at, zoneinfo.ZoneInfo(city.timezone)) for s in services]
    assert {at.date() for at in on_day} == {today}
    assert sorted((s.meal, s.shelter_id) for s in services) == sorted(
        [("breakfast", cinema.id), ("lunch", cinema.id), ("dinner", cinema.id), ("hot_meal", None)]
    )
    assert cinema.meal_schedules.count() == 3
    # The timer's run for today adds nothing: today's are made already.
    meal_services_create_for_day()
    assert services.count() == 4
    client.force_login(get_user_model().objects.get(username="cinema_manager"))
    page = client.get(f"/kitchen/shelters/{cinema.id}/").content.decode()
    assert "13:00" in page and "19:00" in page


def test_the_board_chart_has_a_week_behind_it(client):
    """A made-up week of hourly figures, up to this hour's start, each adding up, so the
    coordinator's chart is not empty on a new demo, and its line reaches "now" unbroken;
    a reload replaces it."""
    load()
    load()
    city = City.objects.get()
    snapshots = list(CapacitySnapshot.objects.filter(city=city).order_by("at"))
    assert len(snapshots) == 7 * 24
    last_hour = timezone.now().replace(minute=0, second=0, microsecond=0)
    assert snapshots[-1].at == last_hour
    assert snapshots[0].at == last_hour - timedelta(hours=7 * 24 - 1)
    beds_now = sum(Space.objects.filter(shelter__city=city).values_list("beds", flat=True))
    assert snapshots[-1].beds == beds_now
    for snapshot in snapshots:
        assert snapshot.beds == snapshot.beds_free + snapshot.beds_held + snapshot.beds_occupied
        assert snapshot.beds_free >= 0 and snapshot.waiting_people >= snapshot.waiting_parties
    assert max(snapshot.waiting_people for snapshot in snapshots) > 0
    client.force_login(get_user_model().objects.get(username="coordinator"))
    board = client.get("/board/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "No figures recorded yet" not in board
    start = board.index('<svg class="chart"')
    chart = board[start : board.index("</svg>", start)]
    # One line a series, to now: no figure of "now" left alone as a dot past a gap.
    assert chart.count("<polyline") == 2 and "<circle" not in chart
