# ruff: noqa: RUF001 - Kazakh and Russian text: Cyrillic letters that look Latin are meant
"""Load (or reload) the demo city: Uralsk in September 2022, in Russian or Kazakh.

Its shelters, spaces, streets and the first parties at the bus station are written in the
language asked for (`--language ru`, the default, or `--language kk`): the city's own
names, as volunteers there would type them. The logins are the same in both.
"""

import math
import random
import zoneinfo
from datetime import datetime, time, timedelta
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import timezone

from accounts.access import access_for_user
from accounts.models import ApiKey, Invitation, Membership, Role
from accounts.services import member_create
from arrivals.models import (
    CapacitySnapshot,
    MatchingRun,
    Party,
    PartyEvent,
    PartyMember,
    Placement,
)
from arrivals.services import party_register
from meals.models import Meal, MealService, Serving
from meals.services import meal_schedule_create, meal_service_create
from shelters.models import Admits, City, HostOffer, Shelter, ShelterKind, Space
from shelters.services import city_create, city_update, shelter_create, space_create
from webhooks.models import Subscription

# The cinema's kitchen: (meal, time, portions planned) every day.
CINEMA_MEALS = [
    (Meal.BREAKFAST, time(8), 150),
    (Meal.LUNCH, time(13), 200),
    (Meal.DINNER, time(19), 200),
]
# The board's chart shows the last days: the demo comes with a made-up week of them.
HISTORY_DAYS = 7
DEMO_PASSWORD = "berth-demo-2022"  # noqa: S105 - published demo login, DEBUG only
DEMO_USERS = [
    ("coordinator", Role.COORDINATOR),
    ("volunteer1", Role.VOLUNTEER),
    ("volunteer2", Role.VOLUNTEER),
    ("cinema_manager", Role.SHELTER_MANAGER),
]
LANGUAGES = ("ru", "kk")
# Every name the demo city had (the English one of earlier releases too): a reload in
# either language replaces the demo loaded in the other.
CITY_NAMES = {"ru": "Уральск", "kk": "Орал"}
FORMER_CITY_NAMES = ["Uralsk"]

# The city's streets, Russian and Kazakh, in the same order (apartments draw from them).
STREETS = {
    "ru": [
        "пр. Достык",
        "пр. Абая",
        "ул. Курмангазы",
        "ул. Сырыма Датулы",
        "пр. Евразия",
        "ул. Темира Масина",
        "ул. Маншук Маметовой",
    ],
    "kk": [
        "Достық даңғылы",
        "Абай даңғылы",
        "Құрманғазы көшесі",
        "Сырым Датұлы көшесі",
        "Еуразия даңғылы",
        "Темір Масин көшесі",
        "Мәншүк Мәметова көшесі",
    ],
}

TEXTS: dict[str, dict[str, Any]] = {
    "ru": {
        "cinema": "Кинотеатр «Арман»",
        "cinema_address": "пр. Достык, 190",
        "cinema_notes": "Директор открыл четыре зала. Маты и одеяла.",
        "auditorium": "Зал {n}",
        "gym": "Спортзал школы № {school}",
        "gym_addresses": ["пр. Абая, 12", "ул. Курмангазы, 150"],
        "gym_hall": "Спортивный зал",
        "school": "Школа № 35",
        "school_address": "ул. Сырыма Датулы, 45",
        "wing": "Крыло для женщин и детей",
        "classrooms": "Классы для семей",
        "dormitory": "Общежитие аграрного колледжа",
        "dormitory_address": "пр. Евразия, 80",
        "floor": "{n}-й этаж",
        "apartment": "Квартира принимающей семьи № {n}",
        "apartment_address": "{street}, д. {house}, кв. {flat}",
        "rooms": "Комнаты",
        "point": "Автовокзал, зал ожидания",
        "notes_bus": "Приехали ночным автобусом из Саратова.",
    },
    "kk": {
        "cinema": "«Арман» кинотеатры",
        "cinema_address": "Достық даңғылы, 190",
        "cinema_notes": "Директор төрт залды ашты. Төсеніштер мен көрпелер бар.",
        "auditorium": "{n}-зал",
        "gym": "№ {school} мектептің спорт залы",
        "gym_addresses": ["Абай даңғылы, 12", "Құрманғазы көшесі, 150"],
        "gym_hall": "Спорт залы",
        "school": "№ 35 мектеп",
        "school_address": "Сырым Датұлы көшесі, 45",
        "wing": "Әйелдер мен балаларға арналған қанат",
        "classrooms": "Отбасыларға арналған сыныптар",
        "dormitory": "Аграрлық колледждің жатақханасы",
        "dormitory_address": "Еуразия даңғылы, 80",
        "floor": "{n}-қабат",
        "apartment": "№ {n} қабылдаушы отбасының пәтері",
        "apartment_address": "{street}, {house}-үй, {flat}-пәтер",
        "rooms": "Бөлмелер",
        "point": "Автовокзал, күту залы",
        "notes_bus": "Саратовтан түнгі автобуспен келді.",
    },
}

# The first parties at the bus station, registered by volunteer1: names as they are
# written in Uralsk (Kazakh and Russian names alike), the same in both languages. The
# family with a cat and a wheelchair shows a party that waits, and why.
PARTIES: list[dict[str, Any]] = [
    {
        "members": [
            {"given_name": "Айгерим", "family_name": "Нурланова", "sex": "female"},
            {"given_name": "Тимур", "family_name": "Нурланов", "age_group": "child"},
            {"given_name": "Айнур", "age_group": "infant", "sex": "female"},
        ],
        "languages": ["kk", "ru"],
        "contact_phone": "+7 701 555 01 23",
    },
    {
        "members": [
            {"given_name": "Дмитрий", "family_name": "Иванов", "sex": "male"},
            {"given_name": "Ольга", "family_name": "Иванова", "sex": "female"},
            {"given_name": "Мария", "age_group": "child", "sex": "female"},
        ],
        "languages": ["ru"],
        "notes": "notes_bus",
    },
    {
        "members": [
            {"given_name": "Ерлан", "family_name": "Сейтказиев", "sex": "male"},
            {
                "given_name": "Гульнара",
                "family_name": "Сейтказиева",
                "sex": "female",
                "age_group": "senior",
                "needs": ["wheelchair"],
            },
        ],
        "languages": ["kk", "ru"],
        "pets": 1,
    },
    {
        "members": [{"given_name": "Алексей", "family_name": "Смирнов", "sex": "male"}],
        "languages": ["ru"],
    },
    {
        "members": [
            {"given_name": "Асель", "family_name": "Жумабаева", "sex": "female"},
            {"given_name": "Данияр", "age_group": "child", "sex": "male"},
        ],
        "languages": ["kk"],
    },
]


class Command(BaseCommand):
    help = (
        "Load the demo city of Uralsk with its shelters, first parties and demo logins, "
        "in Russian or Kazakh, replacing a previous demo."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--if-empty", action="store_true", help="Do nothing if any city exists already."
        )
        parser.add_argument(
            "--language",
            choices=LANGUAGES,
            default="ru",
            help="The language of the city's names, streets and notes (default: ru).",
        )

    def handle(self, *args, if_empty=False, language="ru", **options):
        if not settings.DEBUG and not getattr(settings, "ALLOW_DEMO_DATA", False):
            raise CommandError("Demo data is for development (DEBUG) only.")
        if if_empty and City.objects.exists():
            self.stdout.write("Cities exist already; demo data not loaded again.")
            self._print_logins()
            return
        texts = TEXTS[language]
        with transaction.atomic():
            self._remove_previous()
            city = city_create(name=CITY_NAMES[language], timezone="Asia/Oral")
            # A made-up number (the party page shows it when a party waits for a coordinator).
            city = city_update(city_id=city.id, data={"coordinator_phone": "+7 711 250-00-00"})
            cinema = self._shelters(city, language)
            for username, role in DEMO_USERS:
                member_create(
                    username=username,
                    password=DEMO_PASSWORD,
                    role=role,
                    cities=[] if role == Role.SHELTER_MANAGER else [city],
                    shelters=[cinema] if role == Role.SHELTER_MANAGER else [],
                )
            volunteer = get_user_model().objects.get(username="volunteer1")
            for spec in PARTIES:
                party_register(
                    city=city,
                    members=spec["members"],
                    actor_id=volunteer.id,
                    actor=volunteer.username,
                    consent=True,
                    registration_point=texts["point"],
                    contact_phone=spec.get("contact_phone"),
                    languages=spec["languages"],
                    pets=spec.get("pets", 0),
                    notes=texts[spec["notes"]] if "notes" in spec else "",
                )
            coordinator = get_user_model().objects.get(username="coordinator")
            self._meals(city, cinema, access_for_user(coordinator), texts)
            self._history(city)
        # The parties were registered as a volunteer's would be: the matching run they
        # asked for is queued, and a worker places them.
        self.stdout.write(self.style.SUCCESS(f"Demo city {city.name} loaded."))
        self._print_logins()

    def _print_logins(self) -> None:
        self.stdout.write(f"Demo logins (password '{DEMO_PASSWORD}'):")
        for username, role in DEMO_USERS:
            self.stdout.write(f"  {username:<16} {role.label}")

    def _remove_previous(self) -> None:
        user_model = get_user_model()
        names = [username for username, _ in DEMO_USERS]
        # What a demo login made since the demo was loaded (invitations, meal services and
        # their servings, host offers, webhooks) goes too: it would protect the city.
        Invitation.objects.filter(created_by__username__in=names).delete()
        for city in City.objects.filter(name__in=[*CITY_NAMES.values(), *FORMER_CITY_NAMES]):
            Invitation.objects.filter(city=city).delete()
            Serving.objects.filter(service__city=city).delete()
            MealService.objects.filter(city=city).delete()
            HostOffer.objects.filter(city=city).delete()
            Subscription.objects.filter(city=city).delete()
            # The parties' locks first: every writer of a placement holds its party's, and
            # a placement references its party with no constraint in the database
            # (`arrivals.models.Placement.party`), so none may be written in between.
            list(Party.objects.select_for_update().filter(city=city).values_list("id"))
            Placement.objects.filter(party__city=city).delete()
            PartyEvent.objects.filter(party__city=city).delete()
            PartyMember.objects.filter(party__city=city).delete()
            Party.objects.filter(city=city).delete()
            MatchingRun.objects.filter(city=city).delete()
            for shelter in Shelter.objects.filter(city=city):
                shelter.spaces.all().delete()
                shelter.delete()
            city.api_keys.clear()
            city.delete()
        # Keys made by a demo login would protect it from deletion: they go with it.
        ApiKey.objects.filter(created_by__username__in=names).delete()
        Membership.objects.filter(user__username__in=names).delete()
        user_model.objects.filter(username__in=names).delete()

    def _history(self, city: City) -> None:
        """A made-up week of the city's hourly figures, up to this hour's start, for the
        board's chart (the hourly timer writes them from then on, at the next hour): its
        shelters opening over the first days, people passing through them and the waiting
        line that came first. The chart joins its "now" to the last of them: an hour earlier,
        they would lie more than its gap (`arrivals.web_board.GAP`) behind it within the hour."""
        beds_now = sum(Space.objects.filter(shelter__city=city).values_list("beds", flat=True))
        last = timezone.now().replace(minute=0, second=0, microsecond=0)
        hours = HISTORY_DAYS * 24
        snapshots = []
        for step in range(hours):
            t = step / (hours - 1)  # 0 a week ago, 1 at this hour's start
            beds = round(beds_now * min(1.0, 0.3 + 1.4 * t))
            occupied = round(beds * 0.8 * math.sin(math.pi * min(1.0, t * 1.15)) ** 2)
            held = round(beds * 0.04 * math.sin(math.pi * t))
            waiting_people = round(140 * math.sin(math.pi * min(1.0, t * 1.6)) ** 4)
            free = beds - occupied - held
            snapshots.append(
                CapacitySnapshot(
                    city=city,
                    at=last - timedelta(hours=hours - 1 - step),
                    beds=beds,
                    beds_free=free,
                    beds_free_open=free,
                    beds_held=held,
                    beds_occupied=occupied,
                    waiting_parties=round(waiting_people / 2.4),
                    waiting_people=waiting_people,
                )
            )
        CapacitySnapshot.objects.bulk_create(snapshots)

    def _meals(self, city: City, cinema: Shelter, access, texts: dict) -> None:
        """The cinema cooks three meals a day (its schedule), and volunteers hand out a hot
        meal at the bus station in the evening. Today's are planned at once, those whose
        hour has passed too, so that the kitchens' pages have a day to show whenever the
        demo is loaded (the timer makes the next days' from the schedule)."""
        zone = zoneinfo.ZoneInfo(city.timezone)
        today = timezone.localtime(timezone.now(), zone).date()
        for meal, at, portions in CINEMA_MEALS:
            meal_schedule_create(shelter=cinema, meal=meal, time=at, planned_portions=portions)
            meal_service_create(
                meal=meal,
                starts_at=datetime.combine(today, at, zone),
                access=access,
                shelter=cinema,
                planned_portions=portions,
            )
        meal_service_create(
            meal=Meal.HOT_MEAL,
            starts_at=datetime.combine(today, time(21), zone),
            access=access,
            city=city,
            location=texts["point"],
            planned_portions=100,
        )

    def _shelters(self, city: City, language: str) -> Shelter:
        texts = TEXTS[language]
        streets = STREETS[language]
        rng = random.Random(2022)
        cinema = shelter_create(
            city=city,
            name=texts["cinema"],
            kind=ShelterKind.CINEMA,
            address=f"{texts['cinema_address']}, {city.name}",
            latitude=Decimal("51.2046"),
            longitude=Decimal("51.3701"),
            wheelchair_accessible=True,
            contact_phone="+7 7112 50 50 50",
            notes=texts["cinema_notes"],
        )
        for number in range(1, 5):
            space_create(
                shelter=cinema,
                name=texts["auditorium"].format(n=number),
                beds=50,
                admits=Admits.ANYONE,
                wheelchair_accessible=number == 1,
            )
        for number, (school_number, beds, address) in enumerate(
            [(12, 80, texts["gym_addresses"][0]), (24, 60, texts["gym_addresses"][1])], start=1
        ):
            gym = shelter_create(
                city=city,
                name=texts["gym"].format(school=school_number),
                kind=ShelterKind.GYM,
                address=f"{address}, {city.name}",
                wheelchair_accessible=number == 1,
            )
            space_create(
                shelter=gym,
                name=texts["gym_hall"],
                beds=beds,
                admits=Admits.ANYONE,
                wheelchair_accessible=number == 1,
            )
        school = shelter_create(
            city=city,
            name=texts["school"],
            kind=ShelterKind.SCHOOL,
            address=f"{texts['school_address']}, {city.name}",
        )
        space_create(shelter=school, name=texts["wing"], beds=40, admits=Admits.WOMEN_AND_CHILDREN)
        space_create(shelter=school, name=texts["classrooms"], beds=30, admits=Admits.FAMILIES)
        dormitory = shelter_create(
            city=city,
            name=texts["dormitory"],
            kind=ShelterKind.DORMITORY,
            address=f"{texts['dormitory_address']}, {city.name}",
            wheelchair_accessible=True,
        )
        space_create(
            shelter=dormitory,
            name=texts["floor"].format(n=1),
            beds=30,
            admits=Admits.ANYONE,
            wheelchair_accessible=True,
        )
        space_create(
            shelter=dormitory, name=texts["floor"].format(n=2), beds=30, admits=Admits.MEN_ONLY
        )
        for number in range(1, 21):
            street = streets[rng.randrange(len(streets))]
            address = texts["apartment_address"].format(
                street=street, house=rng.randint(1, 200), flat=number
            )
            apartment = shelter_create(
                city=city,
                name=texts["apartment"].format(n=number),
                kind=ShelterKind.APARTMENT,
                address=f"{address}, {city.name}",
                pets_allowed=number % 3 == 0,
            )
            space_create(
                shelter=apartment, name=texts["rooms"], beds=rng.randint(2, 6), admits=Admits.ANYONE
            )
        return cinema
