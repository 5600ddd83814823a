"""A check of an answer against every rule of docs/matching.md, apart from the solvers.

It shares with the solvers the data classes, the enum constants and rule 3 itself,
:func:`model.admitting`: who a space admits is defined once, for the solvers, this check and
the Django side alike, and is pinned by its own tests. Everything else (sizes, weights, free
beds, features, reasons) it works out on its own, so that a mistake in a solver is not
repeated here.
"""

from __future__ import annotations

from collections.abc import Sequence

from .model import REASONS, Answer, Party, Space, admitting


def _party_facts(party: Party) -> tuple[int, int, frozenset[str], bool, bool]:
    """size, weight, admits values it satisfies, needs wheelchair, has pets."""
    members = party.members
    weight = 0
    for m in members:
        heavy = m.age_group in ("child", "infant", "senior") or any(
            n in ("medical", "pregnant", "wheelchair", "infant_care") for n in m.needs
        )
        weight += 2 if heavy else 1
    wheel = any("wheelchair" in m.needs for m in members)
    return len(members), weight, admitting(members), wheel, party.pets > 0


def _fits(space: Space, facts: tuple[int, int, frozenset[str], bool, bool]) -> bool:
    _, _, ok, wheel, pets = facts
    return (
        space.admits in ok
        and (space.wheelchair_accessible or not wheel)
        and (space.pets_allowed or not pets)
    )


def violations(*, spaces: Sequence[Space], parties: Sequence[Party], answer: Answer) -> list[str]:
    """Every way ``answer`` breaks the rules for this instance; an empty list when valid.

    Checked: rules 1 to 6; every party is in exactly one of placements and unplaced; reasons
    are known and true (see ``kinds.ReasonFinder``); no unplaced party would still fit a space
    that admits it in the beds left (its reason would be false); the weight is the sum of the
    weights of the placed parties.
    """
    problems: list[str] = []
    space_by_id = {s.id: s for s in spaces}
    party_by_id = {p.id: p for p in parties}
    facts = {p.id: _party_facts(p) for p in parties}
    seen: dict[str, str] = {}
    used: dict[str, int] = {}
    weight = 0
    for placement in answer.placements:
        party = party_by_id.get(placement.party)
        space = space_by_id.get(placement.space)
        if party is None:
            problems.append(f"placement of unknown party {placement.party!r}")
            continue
        if space is None:
            problems.append(f"party {party.id} placed in unknown space {placement.space!r}")
            continue
        if party.id in seen:
            problems.append(f"party {party.id} placed more than once (rule 1)")
            continue
        seen[party.id] = "placed"
        size, w, ok, wheel, pets = facts[party.id]
        weight += w
        used[space.id] = used.get(space.id, 0) + size
        if space.admits not in ok:
            problems.append(
                f"space {space.id} admits {space.admits}, not party {party.id} (rule 3)"
            )
        if wheel and not space.wheelchair_accessible:
            problems.append(f"party {party.id} needs a wheelchair, {space.id} is not accessible")
        if pets and not space.pets_allowed:
            problems.append(f"party {party.id} has pets, {space.id} does not allow pets (rule 5)")
    for space_id, people in used.items():
        beds = max(space_by_id[space_id].beds, 0)
        if people > beds:
            problems.append(f"space {space_id}: {people} people placed in {beds} free beds")
    max_free = max((s.beds for s in spaces), default=0)
    for item in answer.unplaced:
        party = party_by_id.get(item.party)
        if party is None:
            problems.append(f"unknown party {item.party!r} listed as unplaced")
            continue
        if party.id in seen:
            problems.append(f"party {party.id} listed twice (placed or unplaced)")
            continue
        seen[party.id] = "unplaced"
        if item.reason not in REASONS:
            problems.append(f"party {party.id}: unknown reason {item.reason!r}")
            continue
        problems.extend(_reason_problems(party, item.reason, facts[party.id], spaces, max_free))
    for party in parties:
        if party.id not in seen:
            problems.append(f"party {party.id} is neither placed nor unplaced")
    # No unplaced party fits the beds left in a space that admits it.
    left = {s.id: max(s.beds, 0) - used.get(s.id, 0) for s in spaces}
    groups: dict[tuple[int, frozenset[str], bool, bool], str] = {}
    for item in answer.unplaced:
        if seen.get(item.party) == "unplaced" and item.party in facts:
            size, _, ok, wheel, pets = facts[item.party]
            groups.setdefault((size, ok, wheel, pets), item.party)
    for (size, ok, wheel, pets), party_id in groups.items():
        for space in spaces:
            if left[space.id] >= size and _fits(space, (size, 0, ok, wheel, pets)):
                problems.append(
                    f"party {party_id} ({size} people) unplaced while space {space.id} "
                    f"admits it and has {left[space.id]} beds left"
                )
                break
    if weight != answer.weight:
        problems.append(f"weight {answer.weight} is not the placed weight {weight}")
    return problems


def _reason_problems(
    party: Party,
    reason: str,
    facts: tuple[int, int, frozenset[str], bool, bool],
    spaces: Sequence[Space],
    max_free: int,
) -> list[str]:
    size, _, ok, wheel, pets = facts
    if reason == "party_too_large":
        if max_free <= 0 or size <= max_free:
            return [f"party {party.id} ({size}) is not larger than every space ({max_free})"]
        return []
    if reason == "no_accessible_space":
        if not wheel or any(s.wheelchair_accessible for s in spaces):
            return [f"party {party.id}: no_accessible_space is not true"]
        return []
    if reason == "no_pet_friendly_space":
        if not pets or any(
            s.pets_allowed and (s.wheelchair_accessible or not wheel) for s in spaces
        ):
            return [f"party {party.id}: no_pet_friendly_space is not true"]
        return []
    if reason == "no_admitting_space":
        if any(_fits(s, facts) for s in spaces):
            return [f"party {party.id}: a space admits it, no_admitting_space is not true"]
        return []
    # no_capacity: some space admits the party (its beds are the problem).
    if not any(_fits(s, facts) for s in spaces):
        return [f"party {party.id}: no space admits it, no_capacity is not true"]
    return []
