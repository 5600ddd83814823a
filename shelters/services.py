"""Writes of shelters, spaces and host offers. Every function here is atomic."""

import zoneinfo
from collections.abc import Callable, Collection, Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from accounts.access import Access, access_for_user
from accounts.models import Invitation, Role
from accounts.services import invitation_create
from config.exceptions import Conflict, PreconditionFailed
from config.services import model_update
from privacy.crypto import keyed_digest
from privacy.models import AuditAction
from privacy.services import audit_record

from .events import capacity_changed_emit, capacity_removed_emit, shelter_updated_emit
from .models import (
    CITY_COORDINATOR_FIELDS,
    CITY_EDITABLE_FIELDS,
    HOST_OFFER_FIELDS,
    HOST_OFFER_PERSONAL_FIELDS,
    SHELTER_EDITABLE_FIELDS,
    SPACE_EDITABLE_FIELDS,
    Admits,
    City,
    HostOffer,
    HostOfferStatus,
    Shelter,
    ShelterKind,
    ShelterStatus,
    Space,
)
from .selectors import host_offers_personal_data_visible
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


def _check_version(*, current: int, expected: int | Collection[int] | None) -> None:
    """PreconditionFailed unless `expected` is None, the current version, or a collection
    of versions holding it (If-Match may name several)."""
    if expected is None:
        return
    if current not in (expected if isinstance(expected, Collection) else (expected,)):
        raise PreconditionFailed(
            _("The object was changed by someone else (version %(current)s); reload it.")
            % {"current": current}
        )


@transaction.atomic
def city_create(*, name: str, timezone: str, coordinator_phone: str = "") -> City:
    city = City(name=name, timezone=timezone, coordinator_phone=coordinator_phone)
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
def shelter_update(
    *, shelter_id, data: dict, expected_version: int | Collection[int] | None = None
) -> Shelter:
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
    if "status" in data and data["status"] != shelter.status and "status_reason" not in data:
        # The reason was the old status's ("No heating"): a change without one empties
        # it, as the managers' page does, rather than leave it beside an open shelter.
        data = {**data, "status_reason": ""}
    takes_pets = data.get("pets_allowed") is True and not shelter.pets_allowed
    open_after = data.get("status", shelter.status) == ShelterStatus.OPEN
    more_room = open_after and (reopened or takes_pets)
    changing = [n for n in SHELTER_EDITABLE_FIELDS if n in data and data[n] != getattr(shelter, n)]
    # Every change is a new version, as the ETag the caller gets back says; a write that
    # changes nothing writes nothing (others' ETags stay good).
    shelter, _changed = model_update(
        shelter,
        fields=(*SHELTER_EDITABLE_FIELDS, "version"),
        data={**data, "version": shelter.version + 1} if changing else data,
    )
    if changing:
        shelter_updated_emit(shelter=shelter, changed=changing)
    if more_room:
        _announce_room(shelter.city_id)
    return shelter


@transaction.atomic
def shelter_delete(*, shelter_id, expected_version: int | Collection[int] | None = None) -> None:
    """Delete a shelter and its spaces, none in use; `expected_version` as an update's."""
    shelter = _shelter_locked(shelter_id)
    _check_version(current=shelter.version, expected=expected_version)
    spaces = spaces_lock(space_ids=shelter.spaces.values_list("id", flat=True))
    for space in spaces.values():
        _space_check_unused(
            space,
            advice=_(
                "People were placed in this shelter; close it instead of deleting it, and "
                "its history stays."
            ),
        )
    capacity_removed_emit(spaces=spaces.values())
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


def shelter_update_check(
    *, shelter: Shelter, expected_version: int | Collection[int] | None = None
) -> None:
    """Raise PreconditionFailed where `shelter_update` would (a stale version), writing nothing."""
    _check_version(current=shelter.version, expected=expected_version)


def space_update_check(
    *, space: Space, data: dict, expected_version: int | Collection[int] | None = None
) -> None:
    """Raise what `space_update` would refuse, writing nothing.

    PreconditionFailed for a stale `expected_version`; Conflict("capacity_below_occupancy")
    for `beds` below what is occupied and held. `space_update` calls it under the row
    lock; a form (the admin) calls it early to show the refusal in place.
    """
    _check_version(current=space.version, expected=expected_version)
    if "beds" in data and data["beds"] < space.beds_occupied + space.beds_held:
        raise Conflict(
            "capacity_below_occupancy",
            _("Beds occupied: %(occupied)s, held: %(held)s; beds cannot go below %(sum)s.")
            % {
                "occupied": space.beds_occupied,
                "held": space.beds_held,
                "sum": space.beds_occupied + space.beds_held,
            },
        )


@transaction.atomic
def space_update(
    *, space_id, data: dict, expected_version: int | Collection[int] | None = None
) -> Space:
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
    changing = any(n in data and data[n] != getattr(space, n) for n in SPACE_EDITABLE_FIELDS)
    # A new version for a change only, as for shelters.
    space, _changed = model_update(
        space,
        fields=(*SPACE_EDITABLE_FIELDS, "version"),
        data={**data, "version": space.version + 1} if changing else data,
    )
    if beds_change:
        capacity_changed_emit(spaces=[space])
    if more_room:
        _announce_room(space.shelter.city_id)
    return space


def _space_check_unused(space: Space, *, advice: str = "") -> None:
    if space.beds_occupied or space.beds_held or space.placements.exists():
        raise Conflict(
            "space_in_use",
            advice
            or _("People were placed in this space; set its beds to 0 instead of deleting it."),
        )


@transaction.atomic
def space_delete(*, space_id, expected_version: int | Collection[int] | None = None) -> None:
    """Delete a space not in use; `expected_version` as an update's."""
    space = _space_locked(space_id)
    _check_version(current=space.version, expected=expected_version)
    _space_check_unused(space)
    capacity_removed_emit(spaces=[space])
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


# --- Host offers ------------------------------------------------------------------------

# Who the audit trail names for what no signed-in person did: a resident's offer, the
# retention timer, the end of an offer.
HOST_OFFER_PUBLIC_ACTOR = "public"
HOST_OFFER_RETENTION_ACTOR = "retention"
HOST_OFFER_AUDIT_TYPE = "host_offer"
# Statuses after which an offer waits only for its personal data to be erased.
HOST_OFFER_CLOSED = (HostOfferStatus.DECLINED, HostOfferStatus.ENDED)


def host_offer_city_today(city: City, now: datetime | None = None) -> date:
    """Today's date where the city is: an offer's dates are the city's days."""
    return (now or timezone.now()).astimezone(zoneinfo.ZoneInfo(city.timezone)).date()


def host_offer_client_digest(ident: str) -> str:
    """Keyed hash of the sender's address (never the address itself)."""
    return keyed_digest(f"host-offer-client:{ident}") if ident else ""


# How far ahead an offer's dates may be.
HOST_OFFER_DAYS_AHEAD = 366


def host_offer_check(*, data: dict, today: date) -> None:
    """The rules of an offer's dates, by field: ValidationError({field: [message]}).

    `available_until` may not be before `available_from` nor in the past; `available_from`
    may not be in the past (an offer is for days to come). Neither is more than
    HOST_OFFER_DAYS_AHEAD days ahead: an offer is for this crisis, not a year 9999.
    """
    errors: dict[str, list] = {}
    start = data.get("available_from") or today
    until = data.get("available_until")
    last = today + timedelta(days=HOST_OFFER_DAYS_AHEAD)
    too_far = _("Give a date up to %(date)s.") % {"date": date_format(last, "DATE_FORMAT")}
    if data.get("available_from") and data["available_from"] < today:
        errors["available_from"] = [_("The date is in the past.")]
    elif start > last:
        errors["available_from"] = [too_far]
    if until is not None and until < start:
        errors["available_until"] = [_("The end is before the start.")]
    elif until is not None and until < today:
        errors["available_until"] = [_("The date is in the past.")]
    elif until is not None and until > last:
        errors["available_until"] = [too_far]
    if errors:
        raise ValidationError(errors)


class HostOfferLimit(Exception):
    """The sender's address has sent its offers for now (`host_offer_submit`'s `allowed`)."""

    def __init__(self, wait: int) -> None:
        super().__init__(wait)
        self.wait = wait


@transaction.atomic
def host_offer_submit(
    *,
    data: dict,
    client_ident: str = "",
    actor_id: int | None = None,
    actor: str = HOST_OFFER_PUBLIC_ACTOR,
    allowed: Callable[[], tuple[bool, int]] | None = None,
    robot: bool = False,
) -> HostOffer | None:
    """A resident's offer (no login): checked (`host_offer_check`, the model's
    validation), stored with the host's name and phone encrypted, and its creation
    audited. `data` holds HOST_OFFER_FIELDS; `available_from` is today by default (in the
    city's time zone). `client_ident` is the sender's address, stored only as a keyed
    hash for the per-address limit. Raises ValidationError by field. The audit names
    `actor` (the public; a coordinator who imports offers from a spreadsheet).

    The public's offers (the API and the page, in this one order): every check first, so
    that an offer refused for its errors takes none of the address's offers; then one is
    taken (`allowed`: (allowed, seconds to wait), `shelters.throttling.host_offer_allowed`;
    HostOfferLimit when there is none left); then a robot's (`robot`: the hidden field
    was filled) stops, told it succeeded: None, nothing stored."""
    city = data["city"]
    today = host_offer_city_today(city)
    host_offer_check(data=data, today=today)
    values = {name: data[name] for name in HOST_OFFER_FIELDS if name in data}
    if not values.get("available_from"):
        values["available_from"] = today
    offer = HostOffer(**values, client_digest=host_offer_client_digest(client_ident))
    offer.full_clean()
    if allowed is not None:
        admitted, wait = allowed()
        if not admitted:
            raise HostOfferLimit(wait)
    if robot:
        return None
    offer.save()
    audit_record(
        actor_id=actor_id,
        actor=actor,
        action=AuditAction.CREATE,
        object_type=HOST_OFFER_AUDIT_TYPE,
        object_ids=[offer.id],
    )
    return offer


def host_offers_lock(*, offer_ids: Iterable) -> dict:
    """Lock the offers' rows in primary-key order. An offer is locked before the shelter
    it becomes or closes (`shelters_lock`, then `spaces_lock`)."""
    ids = sorted(set(offer_ids), key=str)
    offers = HostOffer.objects.select_for_update().filter(id__in=ids).order_by("id")
    return {offer.id: offer for offer in offers}


def _host_offer_for(*, offer_id, access: Access, action: str) -> HostOffer:
    """The offer under its lock, if the caller may do `action` to it: outside their reach
    it does not exist for them (404); a role that may not is PermissionDenied (403)."""
    if not access.allows(action):
        raise PermissionDenied
    offer = next(iter(host_offers_lock(offer_ids=[offer_id]).values()), None)
    if offer is None or not access.allows(action, offer):
        raise HostOffer.DoesNotExist(_("The offer does not exist."))
    return offer


def _host_offer_check_new(offer: HostOffer) -> None:
    """Conflict("offer_decided") unless the offer is new: each offer is decided once."""
    if offer.status == HostOfferStatus.ACCEPTED:
        raise Conflict("offer_decided", _("This offer was accepted already."))
    if offer.status == HostOfferStatus.DECLINED:
        raise Conflict("offer_decided", _("This offer was declined already."))
    if offer.status != HostOfferStatus.NEW:
        raise Conflict("offer_decided", _("This offer has ended."))


def host_offer_shelter_name(offer: HostOffer) -> str:
    """The shelter's name: the address (no one's name), or the offer's date without one."""
    name = offer.address.strip() or _("Apartment offered on %(date)s") % {
        "date": offer.created_at.date().isoformat()
    }
    return name[: Shelter._meta.get_field("name").max_length]


@dataclass(frozen=True)
class HostOfferAccepted:
    offer: HostOffer
    shelter: Shelter
    space: Space
    invitation: Invitation
    invitation_path: str


@transaction.atomic
def host_offer_accept(*, offer_id, by) -> HostOfferAccepted:
    """Accept a new offer (a coordinator of its city, `hostoffer.accept`): a shelter of
    kind `apartment`, open, with the offer's address, access and pets, and one space of
    its beds (through `shelter_create` and `space_create`, so the capacity event is sent
    and matching runs for the new beds), and a one-time invitation for the host to
    manage that shelter (`accounts.services.invitation_create`). Holds the offer's lock.

    An offer accepted before its first day (`available_from`, in the city's time zone)
    gets its shelter closed, saying when it opens; the timer opens it on that day
    (`host_offers_begin`): nobody is sent to an apartment before the host expects them.

    Conflict("offer_decided") if it is not new, Conflict("offer_ended") if its last day
    has passed; 404 outside the caller's cities.
    """
    access = access_for_user(by)
    offer = _host_offer_for(offer_id=offer_id, access=access, action="hostoffer.accept")
    _host_offer_check_new(offer)
    city = offer.city
    today = host_offer_city_today(city)
    if offer.available_until is not None and offer.available_until < today:
        raise Conflict("offer_ended", _("The offer's last day has passed."))
    later = offer.available_from > today
    shelter = shelter_create(
        city=city,
        name=host_offer_shelter_name(offer),
        kind=ShelterKind.APARTMENT,
        address=offer.address,
        status=ShelterStatus.CLOSED if later else ShelterStatus.OPEN,
        status_reason=(
            _("Opens on %(date)s, the host's first day.")
            % {"date": date_format(offer.available_from, "SHORT_DATE_FORMAT")}
            if later
            else ""
        ),
        wheelchair_accessible=offer.wheelchair_accessible,
        pets_allowed=offer.pets_allowed,
    )
    space = space_create(
        shelter=shelter,
        name=_("Apartment"),
        beds=offer.beds,
        admits=Admits.ANYONE,
        wheelchair_accessible=offer.wheelchair_accessible,
    )
    invitation, path = invitation_create(
        created_by=by,
        city=city,
        role=Role.SHELTER_MANAGER,
        shelters=[shelter],
        email_or_note=_("Host of offer %(offer)s") % {"offer": str(offer.id)[:8]},
    )
    offer.status = HostOfferStatus.ACCEPTED
    offer.status_changed_at = timezone.now()
    offer.decided_by = by
    offer.shelter = shelter
    offer.opens_on_first_day = later
    offer.save(
        update_fields=["status", "status_changed_at", "decided_by", "shelter", "opens_on_first_day"]
    )
    return HostOfferAccepted(offer, shelter, space, invitation, path)


def _host_offers_each(*, due: Q, act: Callable[[HostOffer], bool]) -> int:
    """`act` on each offer matching `due`, each in a transaction of its own holding the
    offer's lock, re-checked under it; returns on how many `act` said it acted. The
    timers' way (`host_offers_begin`, `host_offers_end`): safe to run again."""
    done = 0
    for offer_id in HostOffer.objects.filter(due).order_by("id").values_list("id", flat=True):
        with transaction.atomic():
            offer = next(iter(host_offers_lock(offer_ids=[offer_id]).values()), None)
            if offer is not None and HostOffer.objects.filter(due, id=offer_id).exists():
                done += act(offer)
    return done


def host_offers_begin(*, now: datetime | None = None) -> int:
    """Open the shelters of the offers accepted before their first day, once that day has
    come in the city's time zone (as any shelter opens: `shelter_update`, which asks for
    matching). A shelter someone opened earlier by hand is left as it is. Returns how
    many were opened."""
    now = now or timezone.now()

    def begin(offer: HostOffer) -> bool:
        if offer.available_from > host_offer_city_today(offer.city, now):
            return False
        assert offer.shelter_id is not None  # accepted: it has its shelter
        shelter = Shelter.objects.get(id=offer.shelter_id)
        offer.opens_on_first_day = False
        offer.save(update_fields=["opens_on_first_day"])
        if shelter.status == ShelterStatus.OPEN:
            return False
        shelter_update(
            shelter_id=shelter.id, data={"status": ShelterStatus.OPEN, "status_reason": ""}
        )
        return True

    # No city's today is later than UTC's tomorrow: the rest is checked per city.
    due = Q(
        status=HostOfferStatus.ACCEPTED,
        opens_on_first_day=True,
        available_from__lte=(now + timedelta(days=1)).date(),
    )
    return _host_offers_each(due=due, act=begin)


@transaction.atomic
def host_offer_decline(*, offer_id, by) -> HostOffer:
    """Decline a new offer (a coordinator of its city, `hostoffer.decline`); its personal
    data is erased with the retention of arrivals from now on. Holds the offer's lock.
    Conflict("offer_decided") if it is not new."""
    offer = _host_offer_for(
        offer_id=offer_id, access=access_for_user(by), action="hostoffer.decline"
    )
    _host_offer_check_new(offer)
    offer.status = HostOfferStatus.DECLINED
    offer.status_changed_at = timezone.now()
    offer.decided_by = by
    offer.save(update_fields=["status", "status_changed_at", "decided_by"])
    return offer


def host_offers_end(*, now: datetime | None = None) -> int:
    """End the offers whose last day (`available_until`, in the city's time zone) has
    passed: an accepted one's shelter is closed as any shelter closes (`shelter_update`
    with status `closed`: nobody new is placed there, the people in it are not moved),
    and a new one that nobody decided on ends too. Each offer is one transaction holding
    its lock, then the shelter's and its spaces'. Returns how many ended.
    """
    now = now or timezone.now()

    def end(offer: HostOffer) -> bool:
        assert offer.available_until is not None  # `due` asks for one
        if offer.available_until >= host_offer_city_today(offer.city, now):
            return False
        if offer.shelter_id is not None:
            shelter = Shelter.objects.get(id=offer.shelter_id)
            if shelter.status != ShelterStatus.CLOSED:
                shelter_update(shelter_id=shelter.id, data={"status": ShelterStatus.CLOSED})
        offer.status = HostOfferStatus.ENDED
        offer.status_changed_at = now
        offer.save(update_fields=["status", "status_changed_at"])
        return True

    # No city's today is later than UTC's tomorrow: the rest is checked per city.
    latest = (now + timedelta(days=1)).date()
    due = Q(status__in=[HostOfferStatus.NEW, HostOfferStatus.ACCEPTED], available_until__lt=latest)
    return _host_offers_each(due=due, act=end)


def host_offers_personal_data_show(*, access: Access, offers: Iterable[HostOffer]) -> set:
    """The one way a host's name and phone are shown (API, web pages): returns the ids
    of `offers` whose personal data the caller may see (`hostoffer.personal_data`: the
    coordinators of the offer's city), and records a read in the audit trail for each
    that holds any. The caller drops the personal fields of every other offer."""
    offers = list(offers)
    shown = host_offers_personal_data_visible(access=access, offers=offers)
    read = [
        offer.id
        for offer in offers
        if offer.id in shown and any(getattr(offer, f) for f in HOST_OFFER_PERSONAL_FIELDS)
    ]
    if read:
        audit_record(
            actor_id=access.user_id,
            actor=access.username,
            action=AuditAction.READ,
            object_type=HOST_OFFER_AUDIT_TYPE,
            object_ids=read,
        )
    return shown


def host_offers_personal_data_erase(*, now: datetime | None = None, batch: int = 500) -> int:
    """Erase the host's name, phone, address, notes and address digest of offers declined
    or ended longer than the retention of arrivals (settings.PERSONAL_DATA_RETENTION_DAYS)
    ago. The offer (city, beds, dates, status) stays for the counts; a shelter made from
    it keeps its own address. Each batch is one transaction holding the offers' locks;
    every erased offer gets an audit entry. Returns the number of offers erased.
    """
    now = now or timezone.now()
    cutoff = now - timedelta(days=settings.PERSONAL_DATA_RETENTION_DAYS)
    due = Q(
        status__in=HOST_OFFER_CLOSED,
        status_changed_at__lt=cutoff,
        personal_data_erased_at__isnull=True,
    )
    erased = 0
    while True:
        candidates = list(
            HostOffer.objects.filter(due).order_by("id").values_list("id", flat=True)[:batch]
        )
        if not candidates:
            return erased
        with transaction.atomic():
            locked = host_offers_lock(offer_ids=candidates)
            offer_ids = list(
                HostOffer.objects.filter(due, id__in=locked)
                .order_by("id")
                .values_list("id", flat=True)
            )
            HostOffer.objects.filter(id__in=offer_ids).update(
                host_name="",
                contact_phone="",
                address="",
                notes="",
                client_digest="",
                personal_data_erased_at=now,
            )
            audit_record(
                actor_id=None,
                actor=HOST_OFFER_RETENTION_ACTOR,
                action=AuditAction.ERASE,
                object_type=HOST_OFFER_AUDIT_TYPE,
                object_ids=offer_ids,
            )
        erased += len(offer_ids)
        if len(candidates) < batch:
            return erased
