"""Reads of parties, placements and runs, scoped to what a caller may see."""

from collections import defaultdict

from django.db.models import Count, Prefetch, QuerySet, Sum

from accounts.access import Access
from accounts.models import Role
from shelters.models import City, ShelterStatus, Space
from shelters.selectors import city_beds

from . import matching as engine
from .models import (
    ACTIVE_PLACEMENT,
    MatchingRun,
    Party,
    PartyMember,
    PartyStatus,
    Placement,
    PlacementStatus,
)


def engine_space(space: Space) -> engine.Space:
    return engine.Space(
        id=str(space.id),
        shelter=str(space.shelter_id),
        beds=space.beds_free,
        admits=space.admits,
        wheelchair_accessible=space.wheelchair_accessible,
        pets_allowed=space.shelter.pets_allowed,
    )


def engine_member(member: PartyMember) -> engine.Member:
    return engine.Member(sex=member.sex, age_group=member.age_group, needs=tuple(member.needs))


def engine_party(party: Party, members) -> engine.Party:
    return engine.Party(
        id=str(party.id),
        waiting_since=party.waiting_since,
        pets=party.pets,
        members=tuple(engine_member(member) for member in members),
    )


def matching_snapshot(*, city_id) -> tuple[list[engine.Space], list[engine.Party]]:
    """The engine's input for a city: the spaces of its open shelters with their free
    beds (full ones too, so that a reason names the real shortage), and the waiting."""
    spaces = [
        engine_space(space)
        for space in Space.objects.filter(
            shelter__city_id=city_id, shelter__status=ShelterStatus.OPEN
        )
        .select_related("shelter")
        .order_by("id")
    ]
    # Parties first, then their members: a party that is visible was committed with its
    # members. One whose status changes between the two reads comes back without members;
    # it is left out (it is no longer waiting, and the next run sees it as it is).
    waiting = list(
        Party.objects.filter(city_id=city_id, status=PartyStatus.WAITING)
        .order_by("waiting_since", "id")
        .values_list("id", "waiting_since", "pets")
    )
    members = defaultdict(list)
    for party_id, sex, age_group, needs in (
        PartyMember.objects.filter(party__city_id=city_id, party__status=PartyStatus.WAITING)
        .order_by("party_id", "position")
        .values_list("party_id", "sex", "age_group", "needs")
    ):
        members[party_id].append(engine.Member(sex=sex, age_group=age_group, needs=tuple(needs)))
    parties = [
        engine.Party(
            id=str(party_id), waiting_since=since, pets=pets, members=tuple(members[party_id])
        )
        for party_id, since, pets in waiting
        if members[party_id]
    ]
    return spaces, parties


def parties_visible(*, access: Access) -> QuerySet[Party]:
    """Coordinators and volunteers see their cities' parties; managers the parties
    placed in their shelters (now or before)."""
    if access.is_superuser:
        return Party.objects.all()
    if access.role == Role.SHELTER_MANAGER:
        return Party.objects.filter(
            id__in=Placement.objects.filter(
                space__shelter_id__in=access.shelter_ids,
                status__in=[*ACTIVE_PLACEMENT, PlacementStatus.ENDED],
            ).values("party_id")
        )
    return Party.objects.filter(city_id__in=access.city_ids)


def parties_for_display(queryset: QuerySet[Party]) -> QuerySet[Party]:
    """Members and current placement in two extra queries for a whole page."""
    return queryset.select_related("city").prefetch_related(
        Prefetch("members", queryset=PartyMember.objects.order_by("position")),
        Prefetch(
            "placements",
            queryset=Placement.objects.filter(status__in=[*ACTIVE_PLACEMENT, PlacementStatus.ENDED])
            .select_related("space__shelter")
            .order_by("-created_at"),
            to_attr="shown_placements",
        ),
    )


def party_current_placement(party: Party) -> Placement | None:
    """The placement a party is in: held or checked in, or the last one it left."""
    placements = getattr(party, "shown_placements", None)
    if placements is None:
        placements = list(
            party.placements.filter(status__in=[*ACTIVE_PLACEMENT, PlacementStatus.ENDED])
            .select_related("space__shelter")
            .order_by("-created_at")
        )
    for placement in placements:
        if placement.status in ACTIVE_PLACEMENT:
            return placement
    if party.status == PartyStatus.DEPARTED and placements:
        return placements[0]
    return None


def party_personal_data_visible(*, access: Access, party: Party) -> bool:
    """Family names and phone: coordinators of the city, managers of the shelter the
    party is placed in (held or checked in)."""
    if access.sees_personal_data_in_city(party.city_id):
        return True
    if access.role != Role.SHELTER_MANAGER:
        return False
    placement = party_current_placement(party)
    return (
        placement is not None
        and placement.status in ACTIVE_PLACEMENT
        and access.manages_shelter(placement.space.shelter_id)
    )


def party_actionable(*, access: Access, placement: Placement | None) -> bool:
    """Whether a caller whose role may act on parties (check in or out, cancel) may act on
    a party: a shelter manager only on a party placed in their shelter. `placement` is
    `party_current_placement(party)`."""
    if access.role != Role.SHELTER_MANAGER:
        return True
    return placement is not None and access.manages_shelter(placement.space.shelter_id)


def placements_visible(*, access: Access) -> QuerySet[Placement]:
    if access.is_superuser:
        return Placement.objects.all()
    if access.role == Role.SHELTER_MANAGER:
        return Placement.objects.filter(space__shelter_id__in=access.shelter_ids)
    return Placement.objects.filter(party__city_id__in=access.city_ids)


def runs_visible(*, access: Access) -> QuerySet[MatchingRun]:
    if access.is_superuser:
        return MatchingRun.objects.all()
    return MatchingRun.objects.filter(city_id__in=access.city_ids)


def city_capacity(*, city: City) -> dict:
    """Beds of the city (all shelters, open or closed) and who is waiting for them."""
    waiting = Party.objects.filter(city=city, status=PartyStatus.WAITING).aggregate(
        parties=Count("id"), people=Sum("size", default=0)
    )
    return {
        "city": city.id,
        **city_beds(city=city),
        "waiting_parties": waiting["parties"],
        "waiting_people": waiting["people"],
    }
