"""What each kind of import reads: its columns, and the shape of its rows (DRF
serializers over the cells' text, with the API's own field definitions where the API has
them). The rules of what a row does live in `spreadsheets.services`."""

import copy
from decimal import ROUND_HALF_UP

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from arrivals.models import MAX_MEMBERS, AgeGroup, Diet, Need, Sex
from arrivals.serializers import (
    MemberSerializer,
    PartySerializer,
    phone_validator,
    text_validator,
)
from shelters.models import MAX_BEDS, Admits, ShelterKind, ShelterStatus

from .models import ImportKind
from .readers import Column

# Yes and no as people type them in the three languages of the pages.
YES = {"yes", "y", "true", "1", "да", "д", "иә", "ия", "+"}
NO = {"no", "n", "false", "0", "нет", "н", "жоқ", "-"}
LIST_SEPARATORS = (",", ";", "/")

SHELTER_COLUMNS = (
    Column("shelter", required=True),
    Column("kind"),
    Column("address"),
    Column("latitude"),
    Column("longitude"),
    Column("status"),
    Column("wheelchair_accessible"),
    Column("pets_allowed"),
    Column("contact_phone"),
    Column("notes", multiline=True),
    Column("space"),
    Column("beds"),
    Column("admits"),
    Column("space_wheelchair_accessible"),
)
# A shelter's own columns (the first of its rows gives them); the others are its space's.
SHELTER_FIELDS = (
    "kind",
    "address",
    "latitude",
    "longitude",
    "status",
    "wheelchair_accessible",
    "pets_allowed",
    "contact_phone",
    "notes",
)
SPACE_COLUMNS = {"space": "name", "beds": "beds", "admits": "admits"}
SPACE_COLUMNS_WHEELCHAIR = "space_wheelchair_accessible"

PARTY_COLUMNS = (
    Column("party", required=True),
    Column("given_name", required=True),
    Column("family_name"),
    Column("sex"),
    Column("age_group"),
    Column("needs"),
    Column("diet"),
    Column("contact_phone"),
    Column("languages"),
    Column("pets"),
    Column("nights_needed"),
    Column("registration_point"),
    Column("notes", multiline=True),
    Column("consent", required=True),
)
PARTY_FIELDS = (
    "contact_phone",
    "languages",
    "pets",
    "nights_needed",
    "registration_point",
    "notes",
    "consent",
)
MEMBER_COLUMNS = ("given_name", "family_name", "sex", "age_group", "needs", "diet")
LIST_COLUMNS = ("needs", "diet", "languages")

HOST_OFFER_COLUMNS = (
    Column("address", required=True),
    Column("beds", required=True),
    Column("available_from", required=True),
    Column("available_until"),
    Column("host_name"),
    Column("contact_phone"),
    Column("wheelchair_accessible"),
    Column("pets_allowed"),
    Column("notes", multiline=True),
)

COLUMNS = {
    ImportKind.SHELTERS: SHELTER_COLUMNS,
    ImportKind.PARTIES: PARTY_COLUMNS,
    ImportKind.HOST_OFFERS: HOST_OFFER_COLUMNS,
}
# The row that names each group (a shelter, a party) in the file.
GROUP_COLUMN = {ImportKind.SHELTERS: "shelter", ImportKind.PARTIES: "party"}


def yes_no(value: str):
    """`True`/`False` for yes and no in English, Russian or Kazakh; else the text (which
    the boolean field then refuses)."""
    lowered = value.strip().lower()
    if lowered in YES:
        return True
    if lowered in NO:
        return False
    return value


def split_list(value: str) -> list[str]:
    for separator in LIST_SEPARATORS[1:]:
        value = value.replace(separator, LIST_SEPARATORS[0])
    return [item.strip().lower() for item in value.split(LIST_SEPARATORS[0]) if item.strip()]


class LowerChoiceField(serializers.ChoiceField):
    """A choice given in any case (`Gym`, `GYM`)."""

    def to_internal_value(self, data):
        return super().to_internal_value(data.strip().lower() if isinstance(data, str) else data)


class ShelterRowSerializer(serializers.Serializer):
    """A row of the shelters file: a shelter, and one of its spaces (or none)."""

    shelter = serializers.CharField(max_length=200)
    kind = LowerChoiceField(choices=ShelterKind.choices, required=False)
    address = serializers.CharField(max_length=300, required=False, validators=[text_validator])
    latitude = serializers.DecimalField(
        max_digits=9,
        decimal_places=6,
        min_value=-90,
        max_value=90,
        rounding=ROUND_HALF_UP,
        required=False,
    )
    longitude = serializers.DecimalField(
        max_digits=9,
        decimal_places=6,
        min_value=-180,
        max_value=180,
        rounding=ROUND_HALF_UP,
        required=False,
    )
    status = LowerChoiceField(choices=ShelterStatus.choices, required=False)
    wheelchair_accessible = serializers.BooleanField(required=False)
    pets_allowed = serializers.BooleanField(required=False)
    contact_phone = serializers.CharField(
        max_length=32, required=False, validators=[phone_validator]
    )
    notes = serializers.CharField(max_length=2000, required=False, validators=[text_validator])
    space = serializers.CharField(max_length=200, required=False)
    beds = serializers.IntegerField(min_value=0, max_value=MAX_BEDS, required=False)
    admits = LowerChoiceField(choices=Admits.choices, required=False)
    space_wheelchair_accessible = serializers.BooleanField(required=False)

    def validate(self, attrs):
        if "space" not in attrs and any(
            name in attrs for name in ("beds", "admits", "space_wheelchair_accessible")
        ):
            raise serializers.ValidationError({"space": [_("Name the space of these beds.")]})
        if "space" in attrs and "beds" not in attrs:
            raise serializers.ValidationError({"beds": [_("Give the space's beds.")]})
        return attrs


class PartyRowsSerializer(serializers.Serializer):
    """A party of a register (its rows, one per member), validated as the API validates
    a registration: the same field definitions (`arrivals.serializers.PartySerializer`)."""

    def get_fields(self):
        declared = copy.deepcopy(PartySerializer._declared_fields)
        fields = {name: declared[name] for name in PARTY_FIELDS}
        fields["members"] = MemberSerializer(many=True, min_length=1, max_length=MAX_MEMBERS)  # type: ignore[call-arg]
        return fields

    validate_consent = PartySerializer.validate_consent
    validate_languages = PartySerializer.validate_languages


def member_data(cells: dict[str, str]) -> dict:
    data: dict = {}
    for name in MEMBER_COLUMNS:
        value = cells.get(name, "")
        if not value:
            continue
        if name in ("needs", "diet"):
            data[name] = split_list(value)
        elif name in ("sex", "age_group"):
            data[name] = value.lower()
        else:
            data[name] = value
    return data


def party_data(cells: dict[str, str]) -> dict:
    data: dict = {}
    for name in PARTY_FIELDS:
        value = cells.get(name, "")
        if not value:
            continue
        if name == "languages":
            data[name] = split_list(value)
        elif name == "consent":
            data[name] = yes_no(value)
        else:
            data[name] = value
    return data


def shelter_row_data(cells: dict[str, str]) -> dict:
    data: dict = {}
    for name, value in cells.items():
        if not value:
            continue
        if name in ("wheelchair_accessible", "pets_allowed", "space_wheelchair_accessible"):
            data[name] = yes_no(value)
        else:
            data[name] = value
    return data


class HostOfferRowSerializer(serializers.Serializer):
    """A row of the host offers file."""

    address = serializers.CharField(max_length=300, validators=[text_validator])
    beds = serializers.IntegerField(min_value=1)
    available_from = serializers.DateField()
    available_until = serializers.DateField(required=False)
    host_name = serializers.CharField(max_length=100, required=False)
    contact_phone = serializers.CharField(
        max_length=32, required=False, validators=[phone_validator]
    )
    wheelchair_accessible = serializers.BooleanField(required=False)
    pets_allowed = serializers.BooleanField(required=False)
    notes = serializers.CharField(max_length=1000, required=False, validators=[text_validator])


# The enums a register's cells may hold, for the page that explains the columns.
ENUMS = {
    "sex": Sex.values,
    "age_group": AgeGroup.values,
    "needs": Need.values,
    "diet": Diet.values,
    "kind": ShelterKind.values,
    "status": ShelterStatus.values,
    "admits": Admits.values,
}
