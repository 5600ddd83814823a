"""Reads of parties, placements and runs. Callers scope them with `Access.scope`."""

from collections import defaultdict
from collections.abc import Iterable

from django.db.models import Count, Prefetch, QuerySet, Sum

from accounts.access import Access
from shelters.models import City, ShelterStatus, Space
from shelters.selectors import city_beds

from . import matching as engine
from .models import (
    ACTIVE_PLACEMENT,
    MEMBER_PERSONAL_FIELDS,
    PARTY_PERSONAL_FIELDS,
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


def parties_personal_data_visible(*, access: Access, parties: Iterable[Party]) -> set:
    """The ids of `parties` whose family names and phone the caller may see (the rule
    `party.personal_data`: coordinators of the party's city, managers of the shelter it
    is placed at now); one query for any number. Only decides: what shows them goes
    through `arrivals.services.parties_personal_data_show`, which audits."""
    ids = [party.id for party in parties]
    if not ids or not access.allows("party.personal_data"):
        return set()
    visible = access.scope(Party.objects.filter(id__in=ids), "party.personal_data")
    return set(visible.values_list("id", flat=True))


def party_has_personal_data(party: Party) -> bool:
    """Whether a party holds a phone or a family name (members as prefetched)."""
    return any(getattr(party, name) for name in PARTY_PERSONAL_FIELDS) or any(
        getattr(member, name) for member in party.members.all() for name in MEMBER_PERSONAL_FIELDS
    )


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
