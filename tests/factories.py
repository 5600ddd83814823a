import factory
from django.contrib.auth import get_user_model

from accounts.models import Membership
from arrivals.models import Party, PartyMember
from shelters.models import Admits, City, Shelter, ShelterKind, Space

PASSWORD = "correct-horse-battery-staple"


class CityFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = City

    name = factory.Sequence(lambda n: f"City {n}")
    timezone = "Asia/Oral"


class ShelterFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Shelter

    city = factory.SubFactory(CityFactory)
    name = factory.Sequence(lambda n: f"Shelter {n}")
    kind = ShelterKind.GYM
    address = factory.Sequence(lambda n: f"Street {n}")


class SpaceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Space

    shelter = factory.SubFactory(ShelterFactory)
    name = factory.Sequence(lambda n: f"Hall {n}")
    beds = 10
    admits = Admits.ANYONE


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    password = factory.PostGenerationMethodCall("set_password", PASSWORD)

    @factory.post_generation
    def save_password(obj, create, extracted, **kwargs):
        if create:
            obj.save()


def member(role: str, *, cities=(), shelters=(), **user_fields):
    """A user with a role in the given cities or shelters."""
    user = UserFactory(**user_fields)
    membership = Membership.objects.create(user=user, role=role)
    membership.cities.set(cities)
    membership.shelters.set(shelters)
    return user


class PartyFactory(factory.django.DjangoModelFactory):
    """A waiting party written directly (no matching): for tests of reads and services.
    Register through the API or `arrivals.services.party_register` to test registration."""

    class Meta:
        model = Party
        skip_postgeneration_save = True

    city = factory.SubFactory(CityFactory)
    code = factory.Sequence(lambda n: f"T{n:05d}"[-6:].replace("0", "A").replace("1", "B"))
    consent = True
    size = 1
    priority = 1

    @factory.post_generation
    def members(party, create, extracted, **kwargs):
        specs = extracted or [{"given_name": "Alex"}]
        for position, spec in enumerate(specs):
            PartyMember.objects.create(party=party, position=position, **spec)
        party.size = len(specs)
        if create:
            party.save(update_fields=["size"])
