"""Compact descriptions of parties and spaces used by the solvers.

A party is reduced to ``(size, weight, mask, wheel, pets)``: ``mask`` holds one bit per
``admits`` value the party satisfies (rule 3, decided by :func:`model.admitting`). A space is
reduced to its class ``(admits bit, wheelchair_accessible, pets_allowed)``. A party fits a
space class when the class's admits bit is in the party's mask, and the class has every
feature the party needs.
"""

from __future__ import annotations

from collections.abc import Sequence

from .model import (
    AGE_GROUPS,
    HEAVY_AGE_GROUPS,
    HEAVY_NEEDS,
    NEEDS,
    NO_ACCESSIBLE_SPACE,
    NO_ADMITTING_SPACE,
    NO_CAPACITY,
    NO_PET_FRIENDLY_SPACE,
    PARTY_TOO_LARGE,
    SEX,
    Party,
    Space,
    admitting,
)

ANYONE = 1
WOMEN_AND_CHILDREN = 2
MEN_ONLY = 4
FAMILIES = 8
ADMITS_BIT = {
    "anyone": ANYONE,
    "women_and_children": WOMEN_AND_CHILDREN,
    "men_only": MEN_ONLY,
    "families": FAMILIES,
}

#: A party as the solvers see it: (size, weight, admits mask, needs wheelchair, has pets).
PartyInfo = tuple[int, int, int, bool, bool]
#: A class of spaces: (admits bit, wheelchair_accessible, pets_allowed).
SpaceClass = tuple[int, bool, bool]
#: What a party asks of a space class: (admits mask, needs wheelchair, has pets).
Kind = tuple[int, bool, bool]

_SEX = frozenset(SEX)
_AGE = frozenset(AGE_GROUPS)
_NEEDS = frozenset(NEEDS)


def classify(party: Party) -> PartyInfo:
    """``(size, weight, admits mask, needs wheelchair, has pets)``; ValueError on bad values."""
    size = weight = 0
    wheel = False
    for m in party.members:
        size += 1
        age = m.age_group
        sex = m.sex
        if age not in _AGE:
            raise ValueError(f"party {party.id}: unknown age_group {age!r}")
        if sex not in _SEX:
            raise ValueError(f"party {party.id}: unknown sex {sex!r}")
        heavy = age in HEAVY_AGE_GROUPS
        if m.needs:
            for need in m.needs:
                if need not in _NEEDS:
                    raise ValueError(f"party {party.id}: unknown need {need!r}")
                if need in HEAVY_NEEDS:
                    heavy = True
                if need == "wheelchair":
                    wheel = True
        weight += 2 if heavy else 1
    if size == 0:
        raise ValueError(f"party {party.id}: a party has at least one member")
    pets = party.pets
    if not isinstance(pets, int) or pets < 0:
        raise ValueError(f"party {party.id}: pets must be a non-negative integer")
    mask = 0
    for value in admitting(party.members):
        mask |= ADMITS_BIT[value]
    return size, weight, mask, wheel, pets > 0


def space_class(space: Space) -> SpaceClass:
    bit = ADMITS_BIT.get(space.admits)
    if bit is None:
        raise ValueError(f"space {space.id}: unknown admits value {space.admits!r}")
    return bit, bool(space.wheelchair_accessible), bool(space.pets_allowed)


def fits_class(mask: int, wheel: bool, pets: bool, cls: SpaceClass) -> bool:
    bit, cls_wheel, cls_pets = cls
    return bool(mask & bit) and (cls_wheel or not wheel) and (cls_pets or not pets)


class ReasonFinder:
    """Why a party that is not placed could not be, judged on the snapshot alone.

    The first of these that holds, in this order:

    1. ``party_too_large``: some space has free beds, and the party has more members than the
       free beds of every space, whatever it admits (docs/matching.md: "larger than any space"; the
       engine only sees free beds, so a party too large for what is free now is reported so).
    2. ``no_accessible_space``: a member needs a wheelchair and no space is accessible.
    3. ``no_pet_friendly_space``: the party has pets and no space (accessible, where needed)
       allows pets.
    4. ``no_admitting_space``: no space with those features admits the party (rule 3).
    5. ``no_capacity``: spaces admit the party, but none has enough free beds left for it
       (they are full, too small, or were given to others).

    Spaces with no free beds count for 2-4 (a full accessible space gives ``no_capacity``).
    """

    def __init__(self, spaces: Sequence[Space]) -> None:
        self.max_free = max((s.beds for s in spaces), default=0)
        self.classes = {space_class(s) for s in spaces}
        self._memo: dict[tuple[int, int, bool, bool], str] = {}

    def reason(self, size: int, mask: int, wheel: bool, pets: bool) -> str:
        key = (size, mask, wheel, pets)
        found = self._memo.get(key)
        if found is None:
            found = self._memo[key] = self._reason(size, mask, wheel, pets)
        return found

    def _reason(self, size: int, mask: int, wheel: bool, pets: bool) -> str:
        if self.max_free > 0 and size > self.max_free:
            return PARTY_TOO_LARGE
        classes = self.classes
        if wheel:
            classes = {c for c in classes if c[1]}
            if not classes:
                return NO_ACCESSIBLE_SPACE
        if pets:
            classes = {c for c in classes if c[2]}
            if not classes:
                return NO_PET_FRIENDLY_SPACE
        if not any(c[0] & mask for c in classes):
            return NO_ADMITTING_SPACE
        return NO_CAPACITY
