import django_filters
from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from config.filters import FilterSet

from .models import Shelter, ShelterKind, ShelterStatus, Space

TRUE = {"true", "1"}
FALSE = {"false", "0"}


class StrictBooleanField(forms.Field):
    """`true`/`false` (or 1/0); anything else is a 400, not a silently ignored filter."""

    widget = forms.TextInput

    def to_python(self, value):
        if value in (None, ""):
            return None
        text = str(value).strip().lower()
        if text in TRUE:
            return True
        if text in FALSE:
            return False
        raise ValidationError(_("Enter true or false."), code="invalid")


class BooleanFilter(django_filters.BooleanFilter):
    field_class = StrictBooleanField


class ShelterFilter(FilterSet):
    city = django_filters.UUIDFilter(field_name="city_id")
    kind = django_filters.ChoiceFilter(choices=ShelterKind.choices)
    status = django_filters.ChoiceFilter(choices=ShelterStatus.choices)
    has_free_beds = BooleanFilter(method="filter_has_free_beds")
    wheelchair_accessible = BooleanFilter()
    pets_allowed = BooleanFilter()

    class Meta:
        model = Shelter
        fields = ["city", "kind", "status", "has_free_beds", "wheelchair_accessible"]

    def filter_has_free_beds(self, queryset, name, value):
        # beds_free is annotated by shelters_with_beds
        return queryset.filter(beds_free__gt=0) if value else queryset.filter(beds_free__lte=0)


class SpaceFilter(FilterSet):
    shelter = django_filters.UUIDFilter(field_name="shelter_id")
    city = django_filters.UUIDFilter(field_name="shelter__city_id")
    admits = django_filters.ChoiceFilter(choices=Space._meta.get_field("admits").choices)

    class Meta:
        model = Space
        fields = ["shelter", "city", "admits"]
