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
    _capacity_changed([(space, space_capacity_data(space)) for space in spaces])


def _capacity_changed(changes: list[tuple[Space, dict]]) -> None:
    events_emit(
        events=[
            Event(city_id=space.shelter.city_id, type=EventType.CAPACITY_CHANGED, data=data)
            for space, data in changes
        ]
    )


def capacity_removed_emit(*, spaces: Iterable[Space]) -> None:
    """The last `capacity.changed` of spaces being deleted (none of them in use): no beds
    any more, and `deleted`, so that a count kept from these events drops them."""
    _capacity_changed(
        [
            (
                space,
                {
                    **space_capacity_data(space),
                    "beds": 0,
                    "beds_held": 0,
                    "beds_occupied": 0,
                    "beds_free": 0,
                    "deleted": True,
                },
            )
            for space in spaces
            if space.beds
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
