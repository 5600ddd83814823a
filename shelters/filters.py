import django_filters

from .models import Shelter, ShelterKind, ShelterStatus, Space


class ShelterFilter(django_filters.FilterSet):
    city = django_filters.UUIDFilter(field_name="city_id")
    kind = django_filters.ChoiceFilter(choices=ShelterKind.choices)
    status = django_filters.ChoiceFilter(choices=ShelterStatus.choices)
    has_free_beds = django_filters.BooleanFilter(method="filter_has_free_beds")
    wheelchair_accessible = django_filters.BooleanFilter()
    pets_allowed = django_filters.BooleanFilter()

    class Meta:
        model = Shelter
        fields = ["city", "kind", "status", "has_free_beds", "wheelchair_accessible"]

    def filter_has_free_beds(self, queryset, name, value):
        # beds_free is annotated by shelters_with_beds
        return queryset.filter(beds_free__gt=0) if value else queryset.filter(beds_free__lte=0)


class SpaceFilter(django_filters.FilterSet):
    shelter = django_filters.UUIDFilter(field_name="shelter_id")
    city = django_filters.UUIDFilter(field_name="shelter__city_id")
    admits = django_filters.ChoiceFilter(choices=Space._meta.get_field("admits").choices)

    class Meta:
        model = Space
        fields = ["shelter", "city", "admits"]
