"""Seeded, realistic matching instances (the format of docs/matching.md) for the benchmark.

People: mostly single adult men (a mobilization flight), couples, mothers with children,
families, some seniors, a few wheelchair users, some parties with pets, rare large groups.
Spaces: halls of 20 to 200 beds (anyone or men only), women-and-children wings, families-only
rooms, apartments of 2 to 6 beds (some allow pets), some wheelchair-accessible.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from arrivals.matching import Member, Party, Space

EPOCH = datetime(2022, 9, 27, 6, 0, tzinfo=timezone(timedelta(hours=5)))


@dataclass(frozen=True)
class Instance:
    name: str
    description: str
    spaces: list[Space]
    parties: list[Party]

    @property
    def people(self) -> int:
        return sum(len(p.members) for p in self.parties)

    @property
    def beds(self) -> int:
        return sum(max(s.beds, 0) for s in self.spaces)


class _People:
    """Random parties with a given mix (weights of party shapes)."""

    def __init__(self, rng: random.Random, mix: dict[str, float], *, pets=0.05, wheel=0.01):
        self.rng = rng
        self.shapes = list(mix)
        self.weights = [mix[s] for s in self.shapes]
        self.pets = pets
        self.wheel = wheel

    def _adult(self, sex: str, *, senior_chance: float = 0.0) -> Member:
        rng = self.rng
        age = "senior" if rng.random() < senior_chance else "adult"
        needs = []
        if rng.random() < (self.wheel * (4 if age == "senior" else 1)):
            needs.append("wheelchair")
        if rng.random() < 0.03:
            needs.append("medical")
        if sex == "female" and age == "adult" and rng.random() < 0.04:
            needs.append("pregnant")
        return Member(sex, age, tuple(needs))

    def _child(self) -> Member:
        rng = self.rng
        sex = rng.choice(("female", "male"))
        if rng.random() < 0.2:
            return Member(sex, "infant", ("infant_care",) if rng.random() < 0.5 else ())
        return Member(sex, "child", ("wheelchair",) if rng.random() < self.wheel else ())

    def _kids(self, low: int, high: int) -> list[Member]:
        return [self._child() for _ in range(self.rng.randint(low, high))]

    def members(self) -> list[Member]:
        rng = self.rng
        shape = rng.choices(self.shapes, self.weights)[0]
        if shape == "single_man":
            return [self._adult("male", senior_chance=0.03)]
        if shape == "men_group":
            return [self._adult("male") for _ in range(rng.randint(2, 4))]
        if shape == "couple":
            return [self._adult("male"), self._adult("female")]
        if shape == "single_woman":
            sex = "unspecified" if rng.random() < 0.05 else "female"
            return [self._adult(sex, senior_chance=0.1)]
        if shape == "mother":
            return [self._adult("female"), *self._kids(1, 3)]
        if shape == "father":
            return [self._adult("male"), *self._kids(1, 2)]
        if shape == "family":
            return [self._adult("male"), self._adult("female"), *self._kids(1, 4)]
        if shape == "extended":
            grown = [self._adult("female", senior_chance=0.5) for _ in range(rng.randint(1, 3))]
            grown += [self._adult("male", senior_chance=0.5) for _ in range(rng.randint(1, 2))]
            return grown + self._kids(2, 7)
        if shape == "seniors":
            return [self._adult("male", senior_chance=1), self._adult("female", senior_chance=1)]
        if shape == "single_senior":
            return [self._adult(rng.choice(("female", "male")), senior_chance=1)]
        if shape == "bus":
            size = rng.randint(12, 30)
            return [
                self._adult(rng.choice(("male", "male", "female")), senior_chance=0.1)
                for _ in range(size)
            ]
        raise AssertionError(shape)

    def parties(self, count: int, *, prefix: str = "p") -> list[Party]:
        rng = self.rng
        out = []
        minute = 0
        for k in range(count):
            minute += rng.randint(0, 3)
            members = self.members()
            pets = 0
            if rng.random() < self.pets * (2 if len(members) > 1 else 1):
                pets = rng.randint(1, 2)
            out.append(
                Party(
                    id=f"{prefix}{k + 1:05d}",
                    waiting_since=EPOCH + timedelta(minutes=minute),
                    members=tuple(members),
                    pets=pets,
                )
            )
        rng.shuffle(out)  # input order is not queue order
        return out


MOBILIZATION = {
    "single_man": 0.46,
    "men_group": 0.08,
    "couple": 0.10,
    "single_woman": 0.06,
    "mother": 0.08,
    "father": 0.02,
    "family": 0.12,
    "extended": 0.02,
    "seniors": 0.03,
    "single_senior": 0.02,
    "bus": 0.002,
}

FAMILY_HEAVY = {
    "single_man": 0.15,
    "men_group": 0.03,
    "couple": 0.08,
    "single_woman": 0.10,
    "mother": 0.22,
    "father": 0.06,
    "family": 0.22,
    "extended": 0.06,
    "seniors": 0.05,
    "single_senior": 0.03,
}


def _space_mix(
    rng: random.Random, count: int, beds: int, *, prefix: str = "s", apartments: float = 0.4
) -> list[Space]:
    """``count`` spaces with about ``beds`` free beds in all, in shelters of a few spaces."""
    kinds = []
    for _ in range(count):
        r = rng.random()
        if r < apartments:
            kinds.append("apartment")
        else:
            kinds.append(
                rng.choices(
                    ("hall", "men_hall", "wc_wing", "family_rooms"), (0.55, 0.2, 0.15, 0.10)
                )[0]
            )
    sizes = []
    for kind in kinds:
        if kind == "apartment":
            sizes.append(rng.randint(2, 6))
        elif kind in ("hall", "men_hall"):
            sizes.append(min(200, max(20, int(rng.lognormvariate(3.6, 0.6)))))
        elif kind == "wc_wing":
            sizes.append(rng.randint(20, 60))
        else:
            sizes.append(rng.randint(10, 40))
    # Scale the large spaces so the total matches.
    small = sum(s for s, k in zip(sizes, kinds, strict=True) if k == "apartment")
    large = sum(sizes) - small
    factor = max(0.1, (beds - small) / large) if large else 1.0
    spaces = []
    shelter = 0
    for k, (kind, size) in enumerate(zip(kinds, sizes, strict=True)):
        if kind != "apartment":
            size = max(10, round(size * factor))
        if k % 4 == 0:
            shelter += 1
        admits = {
            "apartment": "anyone",
            "hall": "anyone",
            "men_hall": "men_only",
            "wc_wing": "women_and_children",
            "family_rooms": "families",
        }[kind]
        wheel = rng.random() < (0.08 if kind == "apartment" else 0.2)
        pets = rng.random() < (0.3 if kind == "apartment" else 0.05)
        spaces.append(
            Space(
                id=f"{prefix}{k + 1:04d}",
                shelter=f"h{shelter:04d}",
                beds=size,
                admits=admits,
                wheelchair_accessible=wheel,
                pets_allowed=pets,
            )
        )
    return spaces


def _people_count(parties: list[Party]) -> int:
    return sum(len(p.members) for p in parties)


def uralsk_night(seed: int = 1) -> Instance:
    """A night in a border town: a cinema, two gyms, a school, a dormitory, a few flats."""
    rng = random.Random(seed)
    parties = _People(rng, MOBILIZATION, pets=0.05, wheel=0.02).parties(300)
    spaces = [
        Space("cinema-1", "cinema", 50, "anyone", True, False),
        Space("cinema-2", "cinema", 50, "anyone", False, False),
        Space("cinema-3", "cinema", 50, "men_only", False, False),
        Space("cinema-4", "cinema", 50, "men_only", False, False),
        Space("gym-north", "gym-north", 90, "anyone", False, True),
        Space("gym-south", "gym-south", 70, "men_only", False, False),
        Space("school-wing", "school", 40, "women_and_children", True, False),
        Space("dormitory", "dormitory", 36, "families", False, False),
        Space("flat-1", "flat-1", 4, "anyone", False, True),
        Space("flat-2", "flat-2", 3, "anyone", False, False),
        Space("flat-3", "flat-3", 6, "anyone", True, False),
        Space("flat-4", "flat-4", 2, "anyone", False, True),
    ]
    # Tight: about 10% more people than beds.
    people = _people_count(parties)
    beds = sum(s.beds for s in spaces)
    scale = people / 1.10 / beds
    spaces = [
        Space(
            s.id,
            s.shelter,
            s.beds if s.beds < 10 else max(10, round(s.beds * scale)),
            s.admits,
            s.wheelchair_accessible,
            s.pets_allowed,
        )
        for s in spaces
    ]
    return Instance(
        "uralsk-night", "12 spaces, 300 parties, ~10% more people than beds", spaces, parties
    )


def _sized(
    name: str,
    description: str,
    seed: int,
    parties: int,
    spaces: int,
    overload: float,
    mix: dict[str, float],
    *,
    pets: float = 0.05,
    wheel: float = 0.01,
    apartments: float = 0.4,
) -> Instance:
    rng = random.Random(seed)
    party_list = _People(rng, mix, pets=pets, wheel=wheel).parties(parties)
    beds = round(_people_count(party_list) / overload)
    space_list = _space_mix(rng, spaces, beds, apartments=apartments)
    return Instance(name, description, space_list, party_list)


def city_surge(seed: int = 2) -> Instance:
    return _sized(
        "city-surge",
        "6,000 parties, 500 spaces, 8% more people than beds",
        seed,
        6000,
        500,
        1.08,
        MOBILIZATION,
    )


def national(seed: int = 3) -> Instance:
    return _sized(
        "national",
        "25,000 parties, 2,000 spaces, 5% more people than beds",
        seed,
        25000,
        2000,
        1.05,
        MOBILIZATION,
    )


def tight_families(seed: int = 11) -> Instance:
    return _sized(
        "tight-families",
        "60 parties, mostly families, 8 spaces, 20% over",
        seed,
        60,
        8,
        1.20,
        FAMILY_HEAVY,
        apartments=0.5,
    )


def tight_access(seed: int = 12) -> Instance:
    return _sized(
        "tight-access",
        "80 parties, many wheelchair users and pets, 12 spaces",
        seed,
        80,
        12,
        1.15,
        FAMILY_HEAVY,
        pets=0.2,
        wheel=0.08,
        apartments=0.5,
    )


def tight_mixed(seed: int = 13) -> Instance:
    return _sized(
        "tight-mixed",
        "150 parties, mixed, 20 spaces, 15% over",
        seed,
        150,
        20,
        1.15,
        MOBILIZATION,
        pets=0.12,
        wheel=0.04,
        apartments=0.5,
    )


GENERATORS: dict[str, Callable[[], Instance]] = {
    "tight-families": tight_families,
    "tight-access": tight_access,
    "tight-mixed": tight_mixed,
    "uralsk-night": uralsk_night,
    "city-surge": city_surge,
    "national": national,
}
