"""The baseline the engine is measured against: first come, first fitting space."""

from __future__ import annotations

from collections.abc import Sequence

from .answer import build_answer, check_ids, queue_order
from .kinds import Kind, SpaceClass, classify, fits_class, space_class
from .model import Answer, Party, Space


def greedy(*, spaces: Sequence[Space], parties: Sequence[Party]) -> Answer:
    """Parties in ``waiting_since`` order (then id), each into the first space, in input order,
    that admits it and still has enough free beds."""
    check_ids(spaces, parties)
    info = [classify(p) for p in parties]
    order = queue_order(parties)
    free = [s.beds for s in spaces]
    classes: dict[SpaceClass, list[int]] = {}
    for j, space in enumerate(spaces):
        classes.setdefault(space_class(space), []).append(j)
    # For each (class, size): position of the first space of the class that may still have
    # that many free beds. Free beds only go down, so the positions only move forward.
    pointers: dict[tuple[SpaceClass, int], int] = {}
    compatible: dict[Kind, list[SpaceClass]] = {}
    where = [-1] * len(parties)
    for i in order:
        size, _, mask, wheel, pets = info[i]
        kind = (mask, wheel, pets)
        fitting = compatible.get(kind)
        if fitting is None:
            fitting = compatible[kind] = [c for c in classes if fits_class(mask, wheel, pets, c)]
        best = -1
        for cls in fitting:
            members = classes[cls]
            k = pointers.get((cls, size), 0)
            while k < len(members) and free[members[k]] < size:
                k += 1
            pointers[(cls, size)] = k
            if k < len(members) and (best < 0 or members[k] < best):
                best = members[k]
        if best >= 0:
            free[best] -= size
            where[i] = best
    return build_answer(spaces=spaces, parties=parties, order=order, where=where, info=info)
