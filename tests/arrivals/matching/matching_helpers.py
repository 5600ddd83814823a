"""Small builders for hand-made matching instances (no database)."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from arrivals.matching import Member, Party, Space

T0 = datetime(2022, 9, 27, 18, 0, tzinfo=timezone(timedelta(hours=5)))

MAN = Member("male", "adult")
WOMAN = Member("female", "adult")
BOY = Member("male", "child")
GIRL = Member("female", "child")
BABY = Member("female", "infant")
GRANDPA = Member("male", "senior")
GRANDMA = Member("female", "senior")
WHEELCHAIR_MAN = Member("male", "adult", ("wheelchair",))
# People who preferred not to say their sex.
UNSPECIFIED_ADULT = Member("unspecified", "adult")
UNSPECIFIED_SENIOR = Member("unspecified", "senior")
UNSPECIFIED_CHILD = Member("unspecified", "child")


def party(pid: str, *members: Member, minute: int = 0, pets: int = 0) -> Party:
    return Party(pid, T0 + timedelta(minutes=minute), tuple(members), pets)


def space(
    sid: str,
    beds: int,
    admits: str = "anyone",
    *,
    wheelchair: bool = False,
    pets: bool = False,
    shelter: str = "h1",
) -> Space:
    return Space(sid, shelter, beds, admits, wheelchair, pets)


def placed(answer) -> dict[str, str]:
    return {p.party: p.space for p in answer.placements}


def reasons(answer) -> dict[str, str]:
    return {u.party: u.reason for u in answer.unplaced}
