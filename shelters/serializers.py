from decimal import ROUND_HALF_UP
from typing import TYPE_CHECKING, Any

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from accounts.fields import ScopedRelatedField

from .models import (
    CITY_EDITABLE_FIELDS,
    MAX_BEDS,
    SHELTER_EDITABLE_FIELDS,
    SPACE_EDITABLE_FIELDS,
    City,
    Shelter,
    Space,
)

if TYPE_CHECKING:
    _Serializer = serializers.Serializer[Any]  # what the mixin is mixed into
else:
    _Serializer = object


class CitySerializer(serializers.ModelSerializer):
    class Meta:
        model = City
        fields = ["id", *CITY_EDITABLE_FIELDS]


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


class ShelterSerializer(ImmutableOnUpdateMixin, serializers.ModelSerializer):
    immutable_fields = ("city",)
    city = ScopedRelatedField()
    latitude = serializers.DecimalField(
        max_digits=9,
        decimal_places=6,
        min_value=-90,
        max_value=90,
        rounding=ROUND_HALF_UP,
        coerce_to_string=False,
        required=False,
        allow_null=True,
    )
    longitude = serializers.DecimalField(
        max_digits=9,
        decimal_places=6,
        min_value=-180,
        max_value=180,
        rounding=ROUND_HALF_UP,
        coerce_to_string=False,
        required=False,
        allow_null=True,
    )
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
        extra_kwargs = {"notes": {"max_length": 2000}}


class SpaceSerializer(ImmutableOnUpdateMixin, serializers.ModelSerializer):
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
        # A name taken in the shelter is a 400 field error (DRF's unique-together
        # validator); only a race past it reaches the database constraint, answered 409.
