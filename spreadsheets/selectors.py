"""The exports' tables: a header and rows of plain values, for any city's coordinator.

Which parties' family names, phones and notes are shown is decided (and audited) by the
caller through `arrivals.services.parties_personal_data_show`; these functions only lay
out what they are given. Every cell is guarded against formula injection by the
renderers (`spreadsheets.renderers`, through `spreadsheets.cells.cell_safe`)."""

import zoneinfo
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.db.models import Prefetch, QuerySet

from arrivals.models import ACTIVE_PLACEMENT, CapacitySnapshot, Party, PartyMember, Placement
from shelters.models import City

from .rows import PARTY_EXPORT_TAIL


@dataclass
class ExportTable:
    """What an export holds: its file's name (without ending), a header and rows."""

    name: str
    columns: list[str]
    rows: list[list] = field(default_factory=list)


def _local(value, tz):
    """A moment as the city's local time, without a zone (spreadsheets keep none)."""
    return value.astimezone(tz).replace(tzinfo=None, microsecond=0) if value else None


def _joined(values: Iterable[str]) -> str:
    return ", ".join(values)


def parties_for_export(*, city: City, statuses: Iterable[str] = ()) -> QuerySet[Party]:
    parties = Party.objects.filter(city=city).order_by("created_at", "id")
    if statuses:
        parties = parties.filter(status__in=list(statuses))
    return parties.prefetch_related(
        Prefetch("members", queryset=PartyMember.objects.order_by("position")),
        Prefetch(
            "placements",
            queryset=Placement.objects.filter(status__in=ACTIVE_PLACEMENT).select_related(
                "space__shelter"
            ),
            to_attr="active_placements",
        ),
    )


def parties_export(*, city: City, parties: Iterable[Party], personal_ids: set) -> ExportTable:
    """One row per member of each party; its party's details on every row. The columns
    of personal data (names, phone, notes) are there only when `personal_ids` is not
    empty, and filled only for those parties. The columns are those of a register's
    import, so that an exported file reads back."""
    tz = zoneinfo.ZoneInfo(city.timezone)
    personal = bool(personal_ids)
    columns = ["party", "status"]
    if personal:
        columns += ["given_name", "family_name"]
    columns += ["sex", "age_group", "needs", "diet"]
    if personal:
        columns += ["contact_phone"]
    columns += ["languages", "pets", "nights_needed", "registration_point"]
    if personal:
        columns += ["notes"]
    # Every party gave it (a registration without it is refused): a register's import asks.
    columns += ["consent"]
    columns += PARTY_EXPORT_TAIL
    table = ExportTable(name=f"parties-{city.name}", columns=columns)
    for party in parties:
        shown = party.id in personal_ids
        placement = (getattr(party, "active_placements", None) or [None])[0]
        for member in party.members.all():
            row: list = [party.code, party.status]
            if personal:
                row += [member.given_name, member.family_name or ""] if shown else ["", ""]
            row += [member.sex, member.age_group, _joined(member.needs), _joined(member.diet)]
            if personal:
                row += [party.contact_phone or ""] if shown else [""]
            row += [
                _joined(party.languages),
                party.pets,
                party.nights_needed,
                party.registration_point,
            ]
            if personal:
                row += [party.notes] if shown else [""]
            row += [
                "yes",
                party.size,
                _local(party.created_at, tz),
                placement.space.shelter.name if placement else "",
                placement.space.name if placement else "",
                placement.status if placement else "",
                _local(placement.held_until, tz) if placement else None,
            ]
            table.rows.append(row)
    return table


def placements_export(*, city: City, statuses: Iterable[str] = ()) -> ExportTable:
    """Every placement of the city (or those of `statuses`), oldest first."""
    tz = zoneinfo.ZoneInfo(city.timezone)
    placements = (
        Placement.objects.filter(party__city=city)
        .select_related("party", "space__shelter")
        .order_by("created_at", "id")
    )
    if statuses:
        placements = placements.filter(status__in=list(statuses))
    table = ExportTable(
        name=f"placements-{city.name}",
        columns=[
            "placement",
            "party",
            "party_size",
            "shelter",
            "space",
            "beds",
            "status",
            "created_by",
            "created_at",
            "held_until",
            "checked_in_at",
            "ended_at",
            "reason",
        ],
    )
    for placement in placements.iterator(chunk_size=2000):
        table.rows.append(
            [
                str(placement.id),
                placement.party.code,
                placement.party.size,
                placement.space.shelter.name,
                placement.space.name,
                placement.beds,
                placement.status,
                placement.created_by,
                _local(placement.created_at, tz),
                _local(placement.held_until, tz),
                _local(placement.checked_in_at, tz),
                _local(placement.ended_at, tz),
                placement.reason,
            ]
        )
    return table


def capacity_history_export(*, city: City, snapshots: Iterable[CapacitySnapshot]) -> ExportTable:
    """A city's capacity over time (`arrivals.selectors.capacity_history`'s snapshots),
    one row per hour or day, at the city's local time."""
    tz = zoneinfo.ZoneInfo(city.timezone)
    names = [
        "beds",
        "beds_free",
        "beds_free_open",
        "beds_held",
        "beds_occupied",
        "waiting_parties",
        "waiting_people",
    ]
    table = ExportTable(name=f"capacity-{city.name}", columns=["at", *names])
    for snapshot in snapshots:
        table.rows.append([_local(snapshot.at, tz), *(getattr(snapshot, n) for n in names)])
    return table
