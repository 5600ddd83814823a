"""Plain data of the matching engine: parties, spaces, answers, and the rules (docs/matching.md).

Nothing here knows about Django. The caller takes a snapshot of one city (waiting parties and
the spaces of its *open* shelters with their free beds) and builds these objects; closed
shelters are filtered out by the caller, not here.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

SEX: tuple[str, ...] = ("female", "male", "unspecified")
AGE_GROUPS: tuple[str, ...] = ("infant", "child", "adult", "senior")
NEEDS: tuple[str, ...] = ("wheelchair", "medical", "pregnant", "infant_care")
ADMITS: tuple[str, ...] = ("anyone", "women_and_children", "men_only", "families")

NO_CAPACITY = "no_capacity"
NO_ACCESSIBLE_SPACE = "no_accessible_space"
NO_PET_FRIENDLY_SPACE = "no_pet_friendly_space"
NO_ADMITTING_SPACE = "no_admitting_space"
PARTY_TOO_LARGE = "party_too_large"
REASONS: tuple[str, ...] = (
    NO_CAPACITY,
    NO_ACCESSIBLE_SPACE,
    NO_PET_FRIENDLY_SPACE,
    NO_ADMITTING_SPACE,
    PARTY_TOO_LARGE,
)

#: Age groups and needs that make a member weigh 2 instead of 1.
HEAVY_AGE_GROUPS = frozenset({"child", "infant", "senior"})
HEAVY_NEEDS = frozenset({"medical", "pregnant", "wheelchair", "infant_care"})
#: Rule 3 looks at the sex of the members of these age groups only.
GROWN_AGE_GROUPS = frozenset({"adult", "senior"})
CHILD_AGE_GROUPS = frozenset({"child", "infant"})


@dataclass(frozen=True, slots=True)
class Member:
    sex: str
    age_group: str
    needs: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Party:
    id: str
    waiting_since: datetime
    members: tuple[Member, ...]
    pets: int = 0


@dataclass(frozen=True, slots=True)
class Space:
    """A space with ``beds`` *free* beds now (beds <= 0 takes nobody)."""

    id: str
    shelter: str
    beds: int
    admits: str
    wheelchair_accessible: bool
    pets_allowed: bool


@dataclass(frozen=True, slots=True)
class Placement:
    party: str
    space: str


@dataclass(frozen=True, slots=True)
class Unplaced:
    party: str
    reason: str


@dataclass(frozen=True, slots=True)
class Answer:
    placements: tuple[Placement, ...]
    unplaced: tuple[Unplaced, ...]
    weight: int


def member_weight(member: Member) -> int:
    """1, or 2 for a child, an infant or a senior, or a member who needs anything listed."""
    if member.age_group in HEAVY_AGE_GROUPS:
        return 2
    for need in member.needs:
        if need in HEAVY_NEEDS:
            return 2
    return 1


def party_weight(party: Party) -> int:
    """The sum of the weights of the party's members."""
    return sum(member_weight(m) for m in party.members)


def admitting(members: Sequence[Member]) -> frozenset[str]:
    """Rule 3: the ``admits`` values whose spaces take a party of these members.

    The one definition of who a space admits: the engine, the baseline, the checker and the
    Django side (manual placements, re-checks of the engine's proposals) all ask this.

    - ``anyone``: any party;
    - ``women_and_children``: every adult and senior is ``female``; one whose sex is ``male``
      or ``unspecified`` keeps the party out (the space's safety comes first). Children and
      infants of any sex are admitted;
    - ``men_only``: every member is a ``male`` adult or senior;
    - ``families``: two members or more, one of them a child or an infant.
    """
    values = {"anyone"}
    if all(m.sex == "female" for m in members if m.age_group in GROWN_AGE_GROUPS):
        values.add("women_and_children")
    if members and all(m.sex == "male" and m.age_group in GROWN_AGE_GROUPS for m in members):
        values.add("men_only")
    if len(members) >= 2 and any(m.age_group in CHILD_AGE_GROUPS for m in members):
        values.add("families")
    return frozenset(values)


def needs_wheelchair(party: Party) -> bool:
    return any("wheelchair" in m.needs for m in party.members)


def admits(space: Space, party: Party) -> bool:
    """Rules 3, 4 and 5: admits (:func:`admitting`), wheelchair access, pets. Free beds are
    not considered. ValueError on an unknown ``admits`` value."""
    if space.admits not in ADMITS:
        raise ValueError(f"unknown admits value {space.admits!r}")
    if party.pets > 0 and not space.pets_allowed:
        return False
    if not space.wheelchair_accessible and needs_wheelchair(party):
        return False
    return space.admits in admitting(party.members)
