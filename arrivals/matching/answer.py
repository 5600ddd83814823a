"""Building answers and checking the input common to every solver."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timezone

from .kinds import PartyInfo, ReasonFinder
from .model import Answer, Party, Placement, Space, Unplaced


def check_ids(spaces: Sequence[Space], parties: Sequence[Party]) -> None:
    """ValueError when two spaces or two parties share an id."""
    seen: set[str] = set()
    for space in spaces:
        if space.id in seen:
            raise ValueError(f"duplicate space id {space.id!r}")
        seen.add(space.id)
    seen = set()
    for party in parties:
        if party.id in seen:
            raise ValueError(f"duplicate party id {party.id!r}")
        seen.add(party.id)


def queue_order(parties: Sequence[Party]) -> list[int]:
    """Indices of ``parties``, longest waiting first, then by id.

    ``waiting_since`` is compared in UTC (a naive date-time is taken as UTC); comparing naive
    date-times is much faster than comparing aware ones with different time zone objects.
    Date-times that share one fixed offset (the Django snapshot's UTC) are compared as they
    are: Python then compares their fields alone, which is right for a fixed offset (not
    for a zone with summer time, whose offset changes under the same object).
    """
    zone = parties[0].waiting_since.tzinfo if parties else None
    if isinstance(zone, timezone) and all(p.waiting_since.tzinfo is zone for p in parties):
        keys = [(party.waiting_since, party.id) for party in parties]
    else:
        keys = []
        for party in parties:
            when = party.waiting_since
            offset = when.utcoffset()
            if offset is not None:
                when = when.replace(tzinfo=None) - offset
            keys.append((when, party.id))
    return sorted(range(len(parties)), key=keys.__getitem__)


def build_answer(
    *,
    spaces: Sequence[Space],
    parties: Sequence[Party],
    order: Sequence[int],
    where: Sequence[int],
    info: Sequence[PartyInfo],
) -> Answer:
    """An answer from ``where[i]`` (space index of party ``i`` or -1).

    Placements and unplaced parties are both listed longest waiting first.
    """
    finder = ReasonFinder(spaces)
    placements = []
    unplaced = []
    weight = 0
    for i in order:
        j = where[i]
        if j >= 0:
            placements.append(Placement(parties[i].id, spaces[j].id))
            weight += info[i][1]
        else:
            size, _, mask, wheel, pets = info[i]
            unplaced.append(Unplaced(parties[i].id, finder.reason(size, mask, wheel, pets)))
    return Answer(tuple(placements), tuple(unplaced), weight)
