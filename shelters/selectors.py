"""Reads of cities, shelters and spaces, scoped to what a caller may see."""

from django.db.models import F, IntegerField, QuerySet, Sum, Value
from django.db.models.functions import Coalesce

from accounts.access import Access
from accounts.models import Role

from .models import City, Shelter, ShelterKind, Space


def cities_visible(*, access: Access) -> QuerySet[City]:
    if access.is_superuser:
        return City.objects.all()
    return City.objects.filter(id__in=access.city_ids)


def shelters_visible(*, access: Access) -> QuerySet[Shelter]:
    if access.is_superuser:
        return Shelter.objects.all()
    if access.role == Role.SHELTER_MANAGER:
        return Shelter.objects.filter(id__in=access.shelter_ids)
    return Shelter.objects.filter(city_id__in=access.city_ids)


def shelters_editable(*, access: Access) -> QuerySet[Shelter]:
    """Shelters whose details and spaces the caller may change."""
    if access.is_superuser:
        return Shelter.objects.all()
    if access.role == Role.SHELTER_MANAGER:
        return Shelter.objects.filter(id__in=access.shelter_ids)
    if access.role == Role.COORDINATOR:
        return Shelter.objects.filter(city_id__in=access.city_ids)
    return Shelter.objects.none()


def spaces_visible(*, access: Access) -> QuerySet[Space]:
    return Space.objects.filter(shelter__in=shelters_visible(access=access))


def _sum(field: str):
    return Coalesce(Sum(field), Value(0), output_field=IntegerField())


def shelters_with_beds(queryset: QuerySet[Shelter]) -> QuerySet[Shelter]:
    """Annotate each shelter with the sums of its spaces' beds, in the same query."""
    return queryset.annotate(
        beds_total=_sum("spaces__beds"),
        beds_occupied=_sum("spaces__beds_occupied"),
        beds_held=_sum("spaces__beds_held"),
    ).annotate(beds_free=F("beds_total") - F("beds_occupied") - F("beds_held"))


def city_beds(*, city: City) -> dict:
    """Bed totals of a city, overall and by shelter kind: one grouped query."""
    rows = (
        Space.objects.filter(shelter__city=city)
        .values("shelter__kind")
        .annotate(total=_sum("beds"), occupied=_sum("beds_occupied"), held=_sum("beds_held"))
    )
    summary = {"beds_total": 0, "beds_occupied": 0, "beds_held": 0, "beds_free": 0}
    by_kind = {kind: {"beds_total": 0, "beds_free": 0} for kind in ShelterKind.values}
    for row in rows:
        free = row["total"] - row["occupied"] - row["held"]
        summary["beds_total"] += row["total"]
        summary["beds_occupied"] += row["occupied"]
        summary["beds_held"] += row["held"]
        summary["beds_free"] += free
        by_kind[row["shelter__kind"]] = {"beds_total": row["total"], "beds_free": free}
    return {**summary, "by_kind": by_kind}
