"""What parties tell integrations (webhooks): `party.registered`, `party.placed`,
`party.checked_in`, `party.checked_out`, `party.cancelled` and `party.expired`, written
in the transaction of the change (`webhooks.services`).

A party is told by its id, code, city, status and size, and its placement by ids,
beds, status and `held_until`: never a name, a phone, a note, needs or a reason.
"""

from collections.abc import Iterable

from shelters.models import Space
from webhooks.services import Event, events_emit

from .models import Party, Placement


def _placement_data(placement: Placement, shelter_id) -> dict:
    return {
        "id": placement.id,
        "shelter": shelter_id,
        "space": placement.space_id,
        "beds": placement.beds,
        "status": placement.status,
        "held_until": placement.held_until,
    }


def party_data(party: Party, placement: Placement | None = None, shelter_id=None) -> dict:
    return {
        "party": party.id,
        "code": party.code,
        "city": party.city_id,
        "status": party.status,
        "size": party.size,
        "placement": _placement_data(placement, shelter_id) if placement else None,
    }


def parties_event_emit(*, type: str, parties: Iterable[tuple[Party, Placement | None]]) -> None:
    """One event of `type` for each (party, its placement or None). The shelters of
    placements whose space is not loaded are read in one query."""
    parties = list(parties)
    spaces = {
        placement.space_id: placement.space
        for _party, placement in parties
        if placement is not None and Placement.space.is_cached(placement)
    }
    missing = {p.space_id for _party, p in parties if p is not None} - set(spaces)
    shelters = {space_id: space.shelter_id for space_id, space in spaces.items()}
    if missing:
        shelters.update(Space.objects.filter(id__in=missing).values_list("id", "shelter_id"))
    events_emit(
        events=[
            Event(
                city_id=party.city_id,
                type=type,
                data=party_data(
                    party, placement, shelters.get(placement.space_id) if placement else None
                ),
            )
            for party, placement in parties
        ]
    )


def party_event_emit(*, type: str, party: Party, placement: Placement | None = None) -> None:
    parties_event_emit(type=type, parties=[(party, placement)])
