"""Reads of cities, shelters, spaces and host offers. Callers scope them with `Access.scope`."""

from collections.abc import Iterable
from typing import TYPE_CHECKING, TypeAlias, TypedDict

from django.db.models import F, IntegerField, Q, QuerySet, Sum, Value
from django.db.models.functions import Coalesce

from accounts.access import Access

from .models import City, HostOffer, Shelter, ShelterKind, ShelterStatus, Space

if TYPE_CHECKING:
    from django_stubs_ext import WithAnnotations


class ShelterBeds(TypedDict):
    """The sums `shelters_with_beds` annotates a shelter with."""

    beds_total: int
    beds_occupied: int
    beds_held: int
    beds_free: int


ShelterWithBeds: TypeAlias = "WithAnnotations[Shelter, ShelterBeds]"


def _sum(field: str):
    return Coalesce(Sum(field), Value(0), output_field=IntegerField())


def shelters_with_beds(queryset: QuerySet[Shelter]) -> QuerySet[ShelterWithBeds]:
    """Annotate each shelter with the sums of its spaces' beds, in the same query."""
    return queryset.annotate(
        beds_total=_sum("spaces__beds"),
        beds_occupied=_sum("spaces__beds_occupied"),
        beds_held=_sum("spaces__beds_held"),
    ).annotate(beds_free=F("beds_total") - F("beds_occupied") - F("beds_held"))


def city_beds(*, city: City) -> dict:
    """Bed totals of a city, overall and by shelter kind, with `beds_free_open` (the free
    beds of open shelters: those that can be given): one grouped query."""
    open_only = Q(shelter__status=ShelterStatus.OPEN)
    rows = (
        Space.objects.filter(shelter__city=city)
        .values("shelter__kind")
        .annotate(
            total=_sum("beds"),
            occupied=_sum("beds_occupied"),
            held=_sum("beds_held"),
            free_open=Coalesce(
                Sum(F("beds") - F("beds_occupied") - F("beds_held"), filter=open_only),
                Value(0),
                output_field=IntegerField(),
            ),
        )
    )
    return beds_summary(
        (row["shelter__kind"], row["total"], row["occupied"], row["held"], row["free_open"])
        for row in rows
    )


def beds_summary(rows: Iterable[tuple[str, int, int, int, int]]) -> dict:
    """The city's bed figures as `GET /capacity/` gives them, from its rows by shelter
    kind: (kind, beds, occupied, held, free in open shelters)."""
    summary = {"beds_total": 0, "beds_occupied": 0, "beds_held": 0, "beds_free": 0}
    free_open = 0
    by_kind = {kind: {"beds_total": 0, "beds_free": 0} for kind in ShelterKind.values}
    for kind, total, occupied, held, kind_free_open in rows:
        free = total - occupied - held
        summary["beds_total"] += total
        summary["beds_occupied"] += occupied
        summary["beds_held"] += held
        summary["beds_free"] += free
        free_open += kind_free_open
        by_kind[kind] = {"beds_total": total, "beds_free": free}
    return {**summary, "beds_free_open": free_open, "by_kind": by_kind}


def host_offers_personal_data_visible(*, access: Access, offers: Iterable[HostOffer]) -> set:
    """The ids of `offers` whose host's name and phone the caller may see: those the rule
    `hostoffer.personal_data` allows within the caller's reach (the coordinators of the
    offer's city, superusers). One query. Shown only through
    `shelters.services.host_offers_personal_data_show`, which audits."""
    ids = [offer.id for offer in offers]
    if not ids or not access.allows("hostoffer.personal_data"):
        return set()
    reached = access.scope(HostOffer.objects.filter(id__in=ids), "hostoffer.personal_data")
    return set(reached.values_list("id", flat=True))


def host_offers_listed(*, access: Access) -> QuerySet[HostOffer]:
    """The offers a caller may list (`hostoffer.view`: coordinators, of their cities),
    newest first, with their city and shelter."""
    offers = access.scope(HostOffer.objects.all(), "hostoffer.view")
    return offers.select_related("city", "shelter").order_by("-created_at", "id")


# A change of a space's beds that the pages ask about before saving: more than this many
# beds added, or the beds multiplied by this factor or more (a typo such as 10000 for 100).
LARGE_BEDS_ADDED = 100
LARGE_BEDS_FACTOR = 2


def space_beds_change_is_large(*, before: int, after: int) -> bool:
    """Whether going from `before` to `after` beds is large enough to be asked about first:
    more than LARGE_BEDS_ADDED beds added, or `before` (when there were any) multiplied by
    LARGE_BEDS_FACTOR or more. Lowering beds never is (the service refuses what is too low)."""
    if after <= before:
        return False
    return after - before > LARGE_BEDS_ADDED or (before > 0 and after >= before * LARGE_BEDS_FACTOR)
