"""The instance and answer JSON formats (docs/matching.md)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from .answer import check_ids
from .model import ADMITS, AGE_GROUPS, NEEDS, SEX, Answer, Member, Party, Space

MAX_MEMBERS = 30
MAX_PETS = 10

_SPACE_FIELDS = ("id", "shelter", "beds", "admits", "wheelchair_accessible", "pets_allowed")
_PARTY_FIELDS = ("id", "waiting_since", "members")


def _fail(where: str, message: str) -> ValueError:
    return ValueError(f"{where}: {message}")


def _id(value: Any, where: str) -> str:
    if not isinstance(value, str) or not value:
        raise _fail(where, "id must be a non-empty string")
    return value


def _bool(value: Any, where: str, name: str) -> bool:
    if not isinstance(value, bool):
        raise _fail(where, f"{name} must be true or false")
    return value


def _int(value: Any, where: str, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise _fail(where, f"{name} must be an integer")
    return value


def _choice(value: Any, allowed: tuple[str, ...], where: str, name: str) -> str:
    if not isinstance(value, str) or value not in allowed:
        raise _fail(where, f"{name} must be one of {', '.join(allowed)}, not {value!r}")
    return value


def _space(data: Any, k: int) -> Space:
    where = f"spaces[{k}]"
    if not isinstance(data, dict):
        raise _fail(where, "must be an object")
    for name in _SPACE_FIELDS:
        if name not in data:
            raise _fail(where, f"missing {name!r}")
    shelter = data["shelter"]
    if not isinstance(shelter, str) or not shelter:
        raise _fail(where, "shelter must be a non-empty string")
    return Space(
        id=_id(data["id"], where),
        shelter=shelter,
        beds=_int(data["beds"], where, "beds"),
        admits=_choice(data["admits"], ADMITS, where, "admits"),
        wheelchair_accessible=_bool(data["wheelchair_accessible"], where, "wheelchair_accessible"),
        pets_allowed=_bool(data["pets_allowed"], where, "pets_allowed"),
    )


def _member(data: Any, where: str) -> Member:
    if not isinstance(data, dict):
        raise _fail(where, "must be an object")
    for name in ("sex", "age_group"):
        if name not in data:
            raise _fail(where, f"missing {name!r}")
    needs = data.get("needs", [])
    if not isinstance(needs, list):
        raise _fail(where, "needs must be a list")
    for need in needs:
        _choice(need, NEEDS, where, "each need")
    return Member(
        sex=_choice(data["sex"], SEX, where, "sex"),
        age_group=_choice(data["age_group"], AGE_GROUPS, where, "age_group"),
        needs=tuple(needs),
    )


def _party(data: Any, k: int) -> Party:
    where = f"parties[{k}]"
    if not isinstance(data, dict):
        raise _fail(where, "must be an object")
    for name in _PARTY_FIELDS:
        if name not in data:
            raise _fail(where, f"missing {name!r}")
    raw = data["waiting_since"]
    if not isinstance(raw, str):
        raise _fail(where, "waiting_since must be an ISO 8601 date-time string")
    try:
        waiting_since = datetime.fromisoformat(raw)
    except ValueError:
        raise _fail(where, f"waiting_since is not an ISO 8601 date-time: {raw!r}") from None
    if waiting_since.utcoffset() is None:
        raise _fail(where, "waiting_since needs a UTC offset (e.g. +05:00 or Z)")
    pets = _int(data.get("pets", 0), where, "pets")
    if not 0 <= pets <= MAX_PETS:
        raise _fail(where, f"pets must be between 0 and {MAX_PETS}")
    members = data["members"]
    if not isinstance(members, list) or not 1 <= len(members) <= MAX_MEMBERS:
        raise _fail(where, f"members must be a list of 1 to {MAX_MEMBERS} members")
    return Party(
        id=_id(data["id"], where),
        waiting_since=waiting_since,
        members=tuple(_member(m, f"{where}.members[{n}]") for n, m in enumerate(members)),
        pets=pets,
    )


def instance_from_json(data: Any) -> tuple[list[Space], list[Party]]:
    """Spaces and parties from an instance (docs/matching.md format); ValueError on bad input."""
    if not isinstance(data, dict):
        raise ValueError("an instance is an object with 'spaces' and 'parties'")
    for name in ("spaces", "parties"):
        if not isinstance(data.get(name), list):
            raise ValueError(f"{name!r} must be a list")
    spaces = [_space(s, k) for k, s in enumerate(data["spaces"])]
    parties = [_party(p, k) for k, p in enumerate(data["parties"])]
    check_ids(spaces, parties)
    return spaces, parties


def answer_to_json(answer: Answer) -> dict[str, Any]:
    """``{"placements": [{"party", "space"}], "unplaced": [{"party", "reason"}], "weight"}``."""
    return {
        "placements": [{"party": p.party, "space": p.space} for p in answer.placements],
        "unplaced": [{"party": u.party, "reason": u.reason} for u in answer.unplaced],
        "weight": answer.weight,
    }


def party_to_json(party: Party) -> dict[str, Any]:
    """A party in the instance format (used to write instances, e.g. by the benchmark)."""
    return {
        "id": party.id,
        "waiting_since": party.waiting_since.isoformat(),
        "pets": party.pets,
        "members": [
            {"sex": m.sex, "age_group": m.age_group, "needs": list(m.needs)} for m in party.members
        ],
    }


def space_to_json(space: Space) -> dict[str, Any]:
    return {
        "id": space.id,
        "shelter": space.shelter,
        "beds": space.beds,
        "admits": space.admits,
        "wheelchair_accessible": space.wheelchair_accessible,
        "pets_allowed": space.pets_allowed,
    }


def instance_to_json(spaces: list[Space], parties: list[Party]) -> dict[str, Any]:
    return {
        "spaces": [space_to_json(s) for s in spaces],
        "parties": [party_to_json(p) for p in parties],
    }
