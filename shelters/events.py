"""What shelters and spaces tell integrations (webhooks): `shelter.updated` and
`capacity.changed`, written in the transaction of the change (`webhooks.services`).

The data are ids, statuses and bed counts. A shelter's name, address, phone and notes
are left out (an apartment may be named after its host): an integration with the
`capacity:read` scope reads them from the API.
"""

from collections.abc import Iterable

from webhooks.models import EventType
from webhooks.services import Event, event_emit, events_emit

from .models import Shelter, Space


def space_capacity_data(space: Space) -> dict:
    return {
        "city": space.shelter.city_id,
        "shelter": space.shelter_id,
        "space": space.id,
        "beds": space.beds,
        "beds_held": space.beds_held,
        "beds_occupied": space.beds_occupied,
        "beds_free": space.beds_free,
    }


def capacity_changed_emit(*, spaces: Iterable[Space]) -> None:
    """`capacity.changed` for each space whose beds or counters changed (the caller
    holds them, with their shelters loaded)."""
    events_emit(
        events=[
            Event(
                city_id=space.shelter.city_id,
                type=EventType.CAPACITY_CHANGED,
                data=space_capacity_data(space),
            )
            for space in spaces
        ]
    )


def shelter_updated_emit(*, shelter: Shelter, changed: Iterable[str]) -> None:
    """`shelter.updated`: which fields changed, and the shelter's status and access."""
    event_emit(
        city_id=shelter.city_id,
        type=EventType.SHELTER_UPDATED,
        data={
            "shelter": shelter.id,
            "city": shelter.city_id,
            "status": shelter.status,
            "kind": shelter.kind,
            "wheelchair_accessible": shelter.wheelchair_accessible,
            "pets_allowed": shelter.pets_allowed,
            "version": shelter.version,
            "changed": sorted(changed),
        },
    )
