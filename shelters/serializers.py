from decimal import ROUND_HALF_UP
from typing import TYPE_CHECKING, Any

from django.core.validators import RegexValidator
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from accounts.fields import ScopedRelatedField
from config.fields import DateField, LineField, ModelSerializer, TextField

from .models import (
    CITY_EDITABLE_FIELDS,
    HOST_OFFER_FIELDS,
    HOST_OFFER_PERSONAL_FIELDS,
    MAX_BEDS,
    MAX_HOST_ADDRESS,
    MAX_HOST_BEDS,
    MAX_HOST_NAME,
    MAX_HOST_NOTES,
    PHONE_PATTERN,
    SHELTER_EDITABLE_FIELDS,
    SPACE_EDITABLE_FIELDS,
    City,
    HostOffer,
    Shelter,
    Space,
)

if TYPE_CHECKING:
    _Serializer = serializers.Serializer[Any]  # what the mixin is mixed into
else:
    _Serializer = object


class CitySerializer(ModelSerializer):
    class Meta:
        model = City
        fields = ["id", *CITY_EDITABLE_FIELDS]


# Every phone Berth takes (a party's, a host's, a shelter's): digits, spaces, ( ) - and a
# leading +. With `LineField`, whose check refuses the line break that `$` lets through.
phone_validator = RegexValidator(
    PHONE_PATTERN, _("Enter a phone number: digits, spaces, ( ) - and a leading +.")
)


class CoordinateField(serializers.DecimalField):
    """Degrees, stored to 6 decimals (about 10 cm): more decimals, as map apps give them,
    are rounded rather than refused (DRF rounds only what passed its count of digits)."""

    def __init__(self, *, bound: int, **kwargs):
        super().__init__(
            max_digits=9,
            decimal_places=6,
            min_value=-bound,
            max_value=bound,
            rounding=ROUND_HALF_UP,
            coerce_to_string=False,
            required=False,
            allow_null=True,
            **kwargs,
        )

    def validate_precision(self, value):
        if value.is_finite() and abs(value) < 1000:  # else refused as it is (out of range)
            value = self.quantize(value)
        return super().validate_precision(value)


class ImmutableOnUpdateMixin(_Serializer):
    """Fields that choose where an object belongs may be set once, never changed."""

    immutable_fields: tuple[str, ...] = ()

    def validate(self, attrs):
        attrs = super().validate(attrs)
        if self.instance is not None:
            for name in self.immutable_fields:
                if name in attrs and attrs[name] != getattr(self.instance, name):
                    raise serializers.ValidationError({name: [_("This cannot be changed.")]})
        return attrs


class ShelterSerializer(ImmutableOnUpdateMixin, ModelSerializer):
    immutable_fields = ("city",)
    city = ScopedRelatedField()
    latitude = CoordinateField(bound=90)
    longitude = CoordinateField(bound=180)
    beds_total = serializers.IntegerField(read_only=True, default=0)
    beds_occupied = serializers.IntegerField(read_only=True, default=0)
    beds_held = serializers.IntegerField(read_only=True, default=0)
    beds_free = serializers.IntegerField(read_only=True, default=0)

    class Meta:
        model = Shelter
        fields = [
            "id",
            "city",
            *SHELTER_EDITABLE_FIELDS,
            "beds_total",
            "beds_occupied",
            "beds_held",
            "beds_free",
            "version",
        ]
        read_only_fields = ["id", "version"]
        extra_kwargs = {
            "notes": {"max_length": 2000},
            "contact_phone": {"validators": [phone_validator]},
        }


# A page of shelters is answered from `.values()` rows, not through the serializer above,
# which costs most of a list's time (issue 13: a page of 50 in a few milliseconds). The
# columns are the serializer's fields; tests/shelters/test_shelters.py checks that a row
# answers exactly what the serializer would.
SHELTER_LIST_COLUMNS = tuple(
    "city_id" if name == "city" else name for name in ShelterSerializer.Meta.fields
)


def shelter_list_item(row: dict) -> dict:
    """A `.values(*SHELTER_LIST_COLUMNS)` row of `shelters_with_beds` as the API shows it.
    The values are already those the serializer gives (decimals with their 6 places, the
    renderer writes UUIDs and decimals as the serializer's fields would)."""
    item = dict(row)
    item["city"] = item.pop("city_id")
    return item


class SpaceSerializer(ImmutableOnUpdateMixin, ModelSerializer):
    immutable_fields = ("shelter",)
    shelter = ScopedRelatedField()
    beds = serializers.IntegerField(min_value=0, max_value=MAX_BEDS)
    beds_free = serializers.IntegerField(read_only=True)

    class Meta:
        model = Space
        fields = [
            "id",
            "shelter",
            *SPACE_EDITABLE_FIELDS,
            "beds_occupied",
            "beds_held",
            "beds_free",
            "version",
        ]
        read_only_fields = ["id", "beds_occupied", "beds_held", "version"]
        # A name taken in the shelter is a 400 error of `name` (`validate`, not DRF's
        # unique-together validator, which says it of the whole body); only a race past
        # it reaches the database constraint, answered 409.
        validators: list[object] = []

    def validate(self, attrs):
        attrs = super().validate(attrs)
        shelter = attrs.get("shelter") or getattr(self.instance, "shelter", None)
        name = attrs.get("name", getattr(self.instance, "name", None))
        if shelter is not None and name is not None:
            taken = Space.objects.filter(shelter=shelter, name=name)
            if self.instance is not None:
                taken = taken.exclude(pk=self.instance.pk)
            if taken.exists():
                raise serializers.ValidationError(
                    {"name": [_("The shelter already has a space of this name.")]}
                )
        return attrs


@extend_schema_field({"type": "string", "x-optional": True})
class OptionalReadOnlyCharField(serializers.CharField):
    """A read-only text that some callers do not get: documented as optional (the OpenAPI
    hook `config.openapi.optional_properties` keeps it out of `required`)."""


# --- Host offers ------------------------------------------------------------------------


class HostOfferSubmitSerializer(serializers.Serializer):
    """What a resident sends. `website` is a trap for robots (the page hides it): an offer
    that fills it is answered as if taken, and nothing is stored."""

    city = serializers.PrimaryKeyRelatedField(
        queryset=City.objects.all(),
        error_messages={
            "does_not_exist": _("No such city."),
            "incorrect_type": _("Give the city's id."),
        },
    )
    host_name = LineField(max_length=MAX_HOST_NAME)
    contact_phone = LineField(max_length=32, validators=[phone_validator])
    address = LineField(max_length=MAX_HOST_ADDRESS)
    beds = serializers.IntegerField(min_value=1, max_value=MAX_HOST_BEDS)
    wheelchair_accessible = serializers.BooleanField(default=False)
    pets_allowed = serializers.BooleanField(default=False)
    available_from = DateField(required=False, help_text=_("Today (in the city) if not given."))
    available_until = DateField(
        required=False, allow_null=True, help_text=_("Empty: until further notice.")
    )
    notes = TextField(max_length=MAX_HOST_NOTES, required=False, allow_blank=True)
    website = LineField(
        required=False,
        allow_blank=True,
        write_only=True,
        max_length=MAX_HOST_ADDRESS,
        help_text=_("Leave empty."),
    )

    def validate(self, attrs):
        until, start = attrs.get("available_until"), attrs.get("available_from")
        if until is not None and start is not None and until < start:
            raise serializers.ValidationError(
                {"available_until": [_("The end is before the start.")]}
            )
        return attrs


class HostOfferSubmittedSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    status = serializers.CharField()


class HostOfferSerializer(serializers.ModelSerializer):
    """An offer as its city's coordinators see it. `host_name` and `contact_phone` are
    present only for the offers whose ids are in the context's `personal_data_shown`
    (`shelters.services.host_offers_personal_data_show` decided and audited)."""

    host_name = OptionalReadOnlyCharField(required=False)
    contact_phone = OptionalReadOnlyCharField(required=False)

    class Meta:
        model = HostOffer
        fields = [
            "id",
            *HOST_OFFER_FIELDS,
            "status",
            "created_at",
            "status_changed_at",
            "shelter",
        ]
        read_only_fields = fields

    def to_representation(self, instance):
        data = super().to_representation(instance)
        if instance.id not in self.context.get("personal_data_shown", ()):
            for name in HOST_OFFER_PERSONAL_FIELDS:
                data.pop(name, None)
        return data


class HostOfferAcceptedSerializer(serializers.Serializer):
    shelter = serializers.UUIDField(help_text=_("The apartment's new shelter."))
    space = serializers.UUIDField(help_text=_("Its one space, of the offer's beds."))
    invitation_url = serializers.URLField(
        help_text=_("A one-time link for the host to manage the shelter; shown only here.")
    )
    invitation_expires_at = serializers.DateTimeField()
