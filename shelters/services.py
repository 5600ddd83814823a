"""Writes of shelters and spaces. Every function here is atomic."""

from collections.abc import Iterable
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.access import Access
from config.exceptions import Conflict, PreconditionFailed
from config.services import model_update

from .events import capacity_changed_emit, shelter_updated_emit
from .models import (
    CITY_COORDINATOR_FIELDS,
    CITY_EDITABLE_FIELDS,
    SHELTER_EDITABLE_FIELDS,
    SPACE_EDITABLE_FIELDS,
    City,
    Shelter,
    ShelterStatus,
    Space,
)
from .signals import room_available

# Shelter fields that decide who may be placed there (docs/matching.md, rules 5 and 6).
PLACING_FIELDS = ("status", "pets_allowed")


def _announce_room(city_id) -> None:
    # Robust: what listens (matching) must never fail the write that made the room.
    transaction.on_commit(lambda: room_available.send(sender=Space, city_id=city_id), robust=True)


def spaces_lock(*, space_ids: Iterable) -> dict:
    """Lock the spaces' rows (SELECT ... FOR UPDATE) in primary-key order.

    The one way to lock spaces: every writer that touches a space's beds or
    counters goes through here, inside its transaction, so two writers always
    take their locks in the same order and never deadlock.
    """
    ids = sorted(set(space_ids), key=str)
    spaces = list(Space.objects.select_for_update().filter(id__in=ids).order_by("id"))
    # Each space's shelter is read after the locks are held, not joined into the locking
    # query: a shelter closing holds its spaces' locks (`shelter_update`), so what is
    # read here is its status once that change has committed.
    shelters = Shelter.objects.in_bulk({space.shelter_id for space in spaces})
    for space in spaces:
        space.shelter = shelters[space.shelter_id]
    return {space.id: space for space in spaces}


def shelters_lock(*, shelter_ids: Iterable) -> dict:
    """Lock the shelters' rows in primary-key order (see `spaces_lock`)."""
    ids = sorted(set(shelter_ids), key=str)
    shelters = Shelter.objects.select_for_update().filter(id__in=ids).order_by("id")
    return {shelter.id: shelter for shelter in shelters}


def _space_locked(space_id) -> Space:
    """One space under its lock; Space.DoesNotExist (answered 404) if it is gone."""
    space = next(iter(spaces_lock(space_ids=[space_id]).values()), None)
    if space is None:
        raise Space.DoesNotExist(_("The space does not exist."))
    return space


def _shelter_locked(shelter_id) -> Shelter:
    """One shelter under its lock; Shelter.DoesNotExist (answered 404) if it is gone."""
    shelter = next(iter(shelters_lock(shelter_ids=[shelter_id]).values()), None)
    if shelter is None:
        raise Shelter.DoesNotExist(_("The shelter does not exist."))
    return shelter


def _check_version(*, current: int, expected: int | None) -> None:
    if expected is not None and expected != current:
        raise PreconditionFailed(
            _("The object was changed by someone else (version %(current)s); reload it.")
            % {"current": current}
        )


@transaction.atomic
def city_create(*, name: str, timezone: str) -> City:
    city = City(name=name, timezone=timezone)
    city.full_clean()
    city.save()
    return city


@transaction.atomic
def city_update(*, city_id, data: dict, access: Access | None = None) -> City:
    """Change a city. With the caller's `access`: one that may not `city.change` (a
    coordinator, allowed `city.coordinator_phone` in that city) changes only
    CITY_COORDINATOR_FIELDS; asking for more is PermissionDenied."""
    city = City.objects.select_for_update().get(id=city_id)
    fields: tuple[str, ...] = CITY_EDITABLE_FIELDS
    if access is not None and not access.allows("city.change"):
        if not access.allows("city.coordinator_phone", city):
            raise PermissionDenied
        refused = sorted(set(data) - set(CITY_COORDINATOR_FIELDS))
        if refused:
            raise PermissionDenied(
                _("Only an administrator may change a city's %(fields)s.")
                % {"fields": ", ".join(refused)}
            )
        fields = CITY_COORDINATOR_FIELDS
    city, _changed = model_update(city, fields=fields, data=data)
    return city


@transaction.atomic
def shelter_create(*, city: City, **fields: Any) -> Shelter:
    shelter = Shelter(
        city=city, **{k: v for k, v in fields.items() if k in SHELTER_EDITABLE_FIELDS}
    )
    shelter.full_clean()
    shelter.save()
    return shelter


@transaction.atomic
def shelter_update(*, shelter_id, data: dict, expected_version: int | None = None) -> Shelter:
    """Change a shelter's details under its row lock. Closing keeps the people in it.

    A change of who may be placed there (status, pets) also locks the shelter's spaces
    (shelter, then spaces: placers never lock shelters, so no cycle), so that no
    placement checked against the old value commits after it.
    """
    shelter = _shelter_locked(shelter_id)
    shelter_update_check(shelter=shelter, expected_version=expected_version)
    if any(name in data and data[name] != getattr(shelter, name) for name in PLACING_FIELDS):
        spaces_lock(space_ids=shelter.spaces.values_list("id", flat=True))
    reopened = data.get("status") == ShelterStatus.OPEN and shelter.status == ShelterStatus.CLOSED
    takes_pets = data.get("pets_allowed") is True and not shelter.pets_allowed
    open_after = data.get("status", shelter.status) == ShelterStatus.OPEN
    more_room = open_after and (reopened or takes_pets)
    changing = [n for n in SHELTER_EDITABLE_FIELDS if n in data and data[n] != getattr(shelter, n)]
    # Every accepted write is a new version, as the ETag the caller gets back says.
    shelter, _changed = model_update(
        shelter,
        fields=(*SHELTER_EDITABLE_FIELDS, "version"),
        data={**data, "version": shelter.version + 1},
    )
    if changing:
        shelter_updated_emit(shelter=shelter, changed=changing)
    if more_room:
        _announce_room(shelter.city_id)
    return shelter


@transaction.atomic
def shelter_delete(*, shelter_id) -> None:
    shelter = _shelter_locked(shelter_id)
    spaces = spaces_lock(space_ids=shelter.spaces.values_list("id", flat=True))
    for space in spaces.values():
        _space_check_unused(space)
    for space in spaces.values():
        space.delete()
    shelter.delete()


@transaction.atomic
def space_create(*, shelter: Shelter, **fields: Any) -> Space:
    space = Space(
        shelter=shelter, **{k: v for k, v in fields.items() if k in SPACE_EDITABLE_FIELDS}
    )
    space.full_clean()
    space.save()
    if space.beds > 0:
        capacity_changed_emit(spaces=[space])
        _announce_room(shelter.city_id)
    return space


def shelter_update_check(*, shelter: Shelter, expected_version: int | None = None) -> None:
    """Raise PreconditionFailed where `shelter_update` would (a stale version), writing nothing."""
    _check_version(current=shelter.version, expected=expected_version)


def space_update_check(*, space: Space, data: dict, expected_version: int | None = None) -> None:
    """Raise what `space_update` would refuse, writing nothing.

    PreconditionFailed for a stale `expected_version`; Conflict("capacity_below_occupancy")
    for `beds` below what is occupied and held. `space_update` calls it under the row
    lock; a form (the admin) calls it early to show the refusal in place.
    """
    _check_version(current=space.version, expected=expected_version)
    if "beds" in data and data["beds"] < space.beds_occupied + space.beds_held:
        raise Conflict(
            "capacity_below_occupancy",
            _("%(occupied)s beds are occupied and %(held)s held; beds cannot go below %(sum)s.")
            % {
                "occupied": space.beds_occupied,
                "held": space.beds_held,
                "sum": space.beds_occupied + space.beds_held,
            },
        )


@transaction.atomic
def space_update(*, space_id, data: dict, expected_version: int | None = None) -> Space:
    """Change a space under its row lock (`spaces_lock`).

    A stale `expected_version` raises PreconditionFailed; `beds` below what is
    occupied and held raises Conflict("capacity_below_occupancy"); either way
    nothing changes (see `space_update_check`).
    """
    space = _space_locked(space_id)
    space_update_check(space=space, data=data, expected_version=expected_version)
    more_room = (
        data.get("beds", space.beds) > space.beds
        or data.get("admits", space.admits) != space.admits
        or (data.get("wheelchair_accessible") is True and not space.wheelchair_accessible)
    )
    beds_change = "beds" in data and data["beds"] != space.beds
    space, _changed = model_update(
        space,
        fields=(*SPACE_EDITABLE_FIELDS, "version"),
        data={**data, "version": space.version + 1},
    )
    if beds_change:
        capacity_changed_emit(spaces=[space])
    if more_room:
        _announce_room(space.shelter.city_id)
    return space


def _space_check_unused(space: Space) -> None:
    if space.beds_occupied or space.beds_held or space.placements.exists():
        raise Conflict(
            "space_in_use",
            _("People were placed in this space; set its beds to 0 instead of deleting it."),
        )


@transaction.atomic
def space_delete(*, space_id) -> None:
    space = _space_locked(space_id)
    _space_check_unused(space)
    space.delete()


def space_counters_change(*, space: Space, held: int = 0, occupied: int = 0) -> Space:
    """Move beds of one space between free, held and occupied (see `spaces_counters_change`)."""
    spaces_counters_change(changes=[(space, held, occupied)])
    return space


def spaces_counters_change(*, changes: Iterable[tuple[Space, int, int]]) -> None:
    """Move beds between free, held and occupied: `(space, held, occupied)` deltas.

    The caller holds the spaces' locks (`spaces_lock`). Raises Conflict("no_capacity")
    where a space has not the free beds asked for; nothing is written then. Beds freed
    announce themselves after commit (`signals.room_available`).
    """
    changed, freed_in = [], set()
    for space, held, occupied in changes:
        if held + occupied > space.beds_free:
            raise Conflict("no_capacity", _("The space has not enough free beds."))
        space.beds_held += held
        space.beds_occupied += occupied
        if space.beds_held < 0 or space.beds_occupied < 0:
            raise ValueError(f"counters of space {space.id} would go negative")
        changed.append(space)
        if held + occupied < 0:
            freed_in.add(space.shelter.city_id)
    if len(changed) == 1:
        changed[0].save(update_fields=["beds_held", "beds_occupied", "updated_at"])
    else:
        now = timezone.now()
        for space in changed:
            space.updated_at = now
        Space.objects.bulk_update(
            changed, ["beds_held", "beds_occupied", "updated_at"], batch_size=500
        )
    capacity_changed_emit(spaces=changed)
    for city_id in freed_in:
        _announce_room(city_id)
