"""Load (or reload) the demo city: Uralsk in September 2022."""

import random
from decimal import Decimal

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from accounts.models import ApiKey, Membership, Role
from accounts.services import member_create
from arrivals.models import MatchingRun, Party, PartyEvent, PartyMember, Placement
from shelters.models import Admits, City, Shelter, ShelterKind
from shelters.services import city_create, city_update, shelter_create, space_create

DEMO_PASSWORD = "berth-demo-2022"  # noqa: S105 - published demo login, DEBUG only
DEMO_USERS = [
    ("coordinator", Role.COORDINATOR),
    ("volunteer1", Role.VOLUNTEER),
    ("volunteer2", Role.VOLUNTEER),
    ("cinema_manager", Role.SHELTER_MANAGER),
]
STREETS = ["Dostyk", "Abai", "Kurmangazy", "Syrym Datuly", "Eurasia", "Temir Masin", "Mametova"]


class Command(BaseCommand):
    help = (
        "Load the demo city of Uralsk with its shelters and demo logins, replacing a previous demo."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--if-empty", action="store_true", help="Do nothing if any city exists already."
        )

    def handle(self, *args, if_empty=False, **options):
        if not settings.DEBUG and not getattr(settings, "ALLOW_DEMO_DATA", False):
            raise CommandError("Demo data is for development (DEBUG) only.")
        if if_empty and City.objects.exists():
            self.stdout.write("Cities exist already; demo data not loaded again.")
            self._print_logins()
            return
        with transaction.atomic():
            self._remove_previous()
            city = city_create(name="Uralsk", timezone="Asia/Oral")
            # A made-up number (the party page shows it when a party waits for a coordinator).
            city = city_update(city_id=city.id, data={"coordinator_phone": "+7 711 250-00-00"})
            cinema = self._shelters(city)
            for username, role in DEMO_USERS:
                member_create(
                    username=username,
                    password=DEMO_PASSWORD,
                    role=role,
                    cities=[] if role == Role.SHELTER_MANAGER else [city],
                    shelters=[cinema] if role == Role.SHELTER_MANAGER else [],
                )
        self.stdout.write(self.style.SUCCESS("Demo city Uralsk loaded."))
        self._print_logins()

    def _print_logins(self) -> None:
        self.stdout.write(f"Demo logins (password '{DEMO_PASSWORD}'):")
        for username, role in DEMO_USERS:
            self.stdout.write(f"  {username:<16} {role.label}")

    def _remove_previous(self) -> None:
        user_model = get_user_model()
        names = [username for username, _ in DEMO_USERS]
        city = City.objects.filter(name="Uralsk").first()
        if city is not None:
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

    def _shelters(self, city: City) -> Shelter:
        rng = random.Random(2022)
        cinema = shelter_create(
            city=city,
            name="Cinema Park",
            kind=ShelterKind.CINEMA,
            address="Dostyk Avenue 190, Uralsk",
            latitude=Decimal("51.2046"),
            longitude=Decimal("51.3701"),
            wheelchair_accessible=True,
            contact_phone="+7 7112 50 50 50",
            notes="Four auditoriums opened by the director. Mats and blankets.",
        )
        for number in range(1, 5):
            space_create(
                shelter=cinema,
                name=f"Auditorium {number}",
                beds=50,
                admits=Admits.ANYONE,
                wheelchair_accessible=number == 1,
            )
        for number, (beds, address) in enumerate(
            [(80, "Abai Avenue 12"), (60, "Kurmangazy Street 150")], start=1
        ):
            gym = shelter_create(
                city=city,
                name=f"Sports School No. {number} gym",
                kind=ShelterKind.GYM,
                address=f"{address}, Uralsk",
                wheelchair_accessible=number == 1,
            )
            space_create(
                shelter=gym,
                name="Gym hall",
                beds=beds,
                admits=Admits.ANYONE,
                wheelchair_accessible=number == 1,
            )
        school = shelter_create(
            city=city,
            name="School No. 35",
            kind=ShelterKind.SCHOOL,
            address="Syrym Datuly Street 45, Uralsk",
        )
        space_create(
            shelter=school,
            name="Women and children wing",
            beds=40,
            admits=Admits.WOMEN_AND_CHILDREN,
        )
        space_create(shelter=school, name="Families classrooms", beds=30, admits=Admits.FAMILIES)
        dormitory = shelter_create(
            city=city,
            name="College dormitory",
            kind=ShelterKind.DORMITORY,
            address="Eurasia Avenue 80, Uralsk",
            wheelchair_accessible=True,
        )
        space_create(
            shelter=dormitory,
            name="Floor 1",
            beds=30,
            admits=Admits.ANYONE,
            wheelchair_accessible=True,
        )
        space_create(shelter=dormitory, name="Floor 2", beds=30, admits=Admits.MEN_ONLY)
        for number in range(1, 21):
            apartment = shelter_create(
                city=city,
                name=f"Host apartment {number}",
                kind=ShelterKind.APARTMENT,
                address=f"{rng.choice(STREETS)} Street {rng.randint(1, 200)}, flat {number}",
                pets_allowed=number % 3 == 0,
            )
            space_create(
                shelter=apartment, name="Rooms", beds=rng.randint(2, 6), admits=Admits.ANYONE
            )
        return cinema
