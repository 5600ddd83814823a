"""The rules of docs/matching.md, one hand-made instance each, with the exact outcome."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from matching_helpers import (
    BABY,
    BOY,
    GIRL,
    GRANDMA,
    GRANDPA,
    MAN,
    T0,
    UNSPECIFIED_ADULT,
    UNSPECIFIED_CHILD,
    UNSPECIFIED_SENIOR,
    WHEELCHAIR_MAN,
    WOMAN,
    party,
    placed,
    reasons,
    space,
)

from arrivals.matching import (
    Answer,
    Member,
    Party,
    Placement,
    Unplaced,
    admits,
    admitting,
    answer_to_json,
    greedy,
    member_weight,
    party_weight,
    solve,
    violations,
)
from arrivals.matching.answer import queue_order


def run(spaces, parties):
    answer = solve(spaces=spaces, parties=parties)
    assert violations(spaces=spaces, parties=parties, answer=answer) == []
    return answer


# -- weights -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("member", "weight"),
    [
        (MAN, 1),
        (WOMAN, 1),
        (UNSPECIFIED_ADULT, 1),
        (BOY, 2),
        (BABY, 2),
        (GRANDPA, 2),
        (Member("female", "adult", ("pregnant",)), 2),
        (Member("male", "adult", ("medical",)), 2),
        (WHEELCHAIR_MAN, 2),
        (Member("female", "adult", ("infant_care",)), 2),
        (Member("male", "senior", ("wheelchair", "medical")), 2),
    ],
)
def test_member_weight(member, weight):
    assert member_weight(member) == weight


def test_party_weight_is_the_sum_of_its_members():
    assert party_weight(party("p", MAN, WOMAN, BOY, BABY, GRANDMA)) == 1 + 1 + 2 + 2 + 2


# -- rule 1 and 2: whole, once, within the free beds ------------------------------------


def test_a_party_is_placed_whole_in_one_space():
    family = party("fam", WOMAN, BOY, GIRL)
    answer = run([space("a", 2), space("b", 2)], [family])
    assert placed(answer) == {}
    assert reasons(answer) == {"fam": "party_too_large"}


def test_people_never_exceed_free_beds_and_longest_waiting_go_first():
    parties = [party(f"p{k}", MAN, minute=10 - k) for k in range(3)]  # p2 waited longest
    answer = run([space("hall", 2)], parties)
    assert placed(answer) == {"p2": "hall", "p1": "hall"}
    assert reasons(answer) == {"p0": "no_capacity"}


def test_equal_waiting_breaks_ties_by_id():
    parties = [party("b", MAN), party("a", MAN), party("c", MAN)]
    answer = run([space("hall", 2)], parties)
    assert placed(answer) == {"a": "hall", "b": "hall"}
    assert [p.party for p in answer.placements] == ["a", "b"]
    assert reasons(answer) == {"c": "no_capacity"}


def test_heavier_parties_win_over_longer_waiting():
    man = party("man", MAN, minute=0)
    mother = party("mother", WOMAN, BABY, minute=30)
    answer = run([space("room", 2)], [man, mother])
    assert placed(answer) == {"mother": "room"}
    assert reasons(answer) == {"man": "no_capacity"}
    assert answer.weight == 3


# -- rule 3: admits ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("members", "value", "expected"),
    [
        ((MAN,), "anyone", True),
        ((WOMAN, BOY), "women_and_children", True),
        ((WOMAN, BABY, GRANDMA), "women_and_children", True),
        ((GRANDMA, BOY, UNSPECIFIED_CHILD), "women_and_children", True),
        ((BOY,), "women_and_children", True),
        ((WOMAN, MAN), "women_and_children", False),
        ((GRANDPA,), "women_and_children", False),
        ((UNSPECIFIED_ADULT,), "women_and_children", False),
        ((UNSPECIFIED_SENIOR,), "women_and_children", False),
        ((WOMAN, UNSPECIFIED_ADULT, GIRL), "women_and_children", False),
        ((GRANDMA, UNSPECIFIED_SENIOR), "women_and_children", False),
        ((MAN,), "men_only", True),
        ((MAN, GRANDPA), "men_only", True),
        ((MAN, BOY), "men_only", False),
        ((WOMAN,), "men_only", False),
        ((UNSPECIFIED_ADULT,), "men_only", False),
        ((UNSPECIFIED_SENIOR, MAN), "men_only", False),
        ((MAN, BOY), "families", True),
        ((WOMAN, BABY), "families", True),
        ((WOMAN, MAN), "families", False),
        ((BOY,), "families", False),
        ((MAN,), "families", False),
    ],
)
def test_admits_rule_3(members, value, expected):
    assert admits(space("s", 10, value), party("p", *members)) is expected
    assert (value in admitting(members)) is expected


@pytest.mark.parametrize(
    ("members", "values"),
    [
        ((WOMAN, BOY), {"anyone", "women_and_children", "families"}),
        ((UNSPECIFIED_ADULT, BOY), {"anyone", "families"}),
        ((UNSPECIFIED_SENIOR,), {"anyone"}),
        ((MAN, GRANDPA), {"anyone", "men_only"}),
        ((GIRL,), {"anyone", "women_and_children"}),
    ],
)
def test_admitting_lists_every_admits_value_that_takes_the_party(members, values):
    assert admitting(members) == values


def test_admits_refuses_an_unknown_admits_value():
    with pytest.raises(ValueError, match="unknown admits value"):
        admits(space("s", 10, "everyone"), party("p", WOMAN))


def test_admits_rules_4_and_5_and_ignores_beds():
    wheel = party("w", WHEELCHAIR_MAN)
    dog = party("d", MAN, pets=1)
    assert not admits(space("s", 5), wheel)
    assert admits(space("s", 5, wheelchair=True), wheel)
    assert not admits(space("s", 5), dog)
    assert admits(space("s", 5, pets=True), dog)
    assert admits(space("s", 0), party("p", MAN, MAN, MAN))


def test_women_and_children_wing_takes_a_mother_with_her_son_not_a_man():
    answer = run(
        [space("wing", 10, "women_and_children")],
        [party("mother", WOMAN, BOY), party("man", MAN)],
    )
    assert placed(answer) == {"mother": "wing"}
    assert reasons(answer) == {"man": "no_admitting_space"}


def test_women_and_children_wing_never_takes_an_adult_or_senior_of_unspecified_sex():
    parties = [
        party("mother", WOMAN, BOY),
        party("grandma", GRANDMA, UNSPECIFIED_CHILD, minute=1),
        party("adult", UNSPECIFIED_ADULT, minute=2),
        party("senior", UNSPECIFIED_SENIOR, minute=3),
        party("aunt", WOMAN, UNSPECIFIED_ADULT, GIRL, minute=4),
    ]
    spaces = [space("wing", 20, "women_and_children")]
    for answer in (run(spaces, parties), greedy(spaces=spaces, parties=parties)):
        assert placed(answer) == {"mother": "wing", "grandma": "wing"}
        assert reasons(answer) == {
            "adult": "no_admitting_space",
            "senior": "no_admitting_space",
            "aunt": "no_admitting_space",
        }


def test_an_adult_of_unspecified_sex_waits_for_the_hall_while_the_wing_has_beds():
    spaces = [space("wing", 10, "women_and_children"), space("hall", 1)]
    parties = [party("adult", UNSPECIFIED_ADULT), party("senior", UNSPECIFIED_SENIOR, minute=1)]
    for answer in (run(spaces, parties), greedy(spaces=spaces, parties=parties)):
        assert len(answer.placements) == 1
        assert "wing" not in placed(answer).values()
    # The senior weighs 2: the engine gives them the only bed they may have.
    answer = run(spaces, parties)
    assert placed(answer) == {"senior": "hall"}
    assert reasons(answer) == {"adult": "no_capacity"}


def test_men_only_hall_takes_men_not_women():
    answer = run(
        [space("hall", 10, "men_only")],
        [party("men", MAN, GRANDPA), party("woman", WOMAN)],
    )
    assert placed(answer) == {"men": "hall"}
    assert reasons(answer) == {"woman": "no_admitting_space"}


def test_families_rooms_take_parties_with_children_only():
    answer = run(
        [space("rooms", 10, "families")],
        [party("family", MAN, GIRL), party("couple", MAN, WOMAN), party("kid", BOY)],
    )
    assert placed(answer) == {"family": "rooms"}
    assert reasons(answer) == {"couple": "no_admitting_space", "kid": "no_admitting_space"}


# -- rules 4, 5, 6 -----------------------------------------------------------------------


def test_wheelchair_users_go_only_to_accessible_spaces():
    parties = [party("w", WOMAN, WHEELCHAIR_MAN)]
    assert reasons(run([space("hall", 10)], parties)) == {"w": "no_accessible_space"}
    assert placed(run([space("hall", 10), space("ramp", 2, wheelchair=True)], parties)) == {
        "w": "ramp"
    }


def test_pets_go_only_where_pets_are_allowed():
    parties = [party("dog", MAN, pets=2)]
    assert reasons(run([space("hall", 10)], parties)) == {"dog": "no_pet_friendly_space"}
    answer = run([space("hall", 10), space("flat", 1, pets=True)], parties)
    assert placed(answer) == {"dog": "flat"}


def test_pets_and_wheelchair_need_one_space_with_both():
    parties = [party("both", WHEELCHAIR_MAN, pets=1)]
    spaces = [space("ramp", 5, wheelchair=True), space("flat", 5, pets=True)]
    assert reasons(run(spaces, parties)) == {"both": "no_pet_friendly_space"}


def test_spaces_without_free_beds_take_nobody():
    parties = [party("p", MAN)]
    answer = run([space("full", 0), space("over", -3)], parties)
    assert placed(answer) == {}
    assert reasons(answer) == {"p": "no_capacity"}


# -- unplaced reasons --------------------------------------------------------------------


def test_reason_party_too_large_is_larger_than_every_space():
    answer = run([space("a", 4), space("b", 3, "families")], [party("big", *[MAN] * 5)])
    assert reasons(answer) == {"big": "party_too_large"}


def test_reason_no_capacity_when_an_admitting_space_is_too_small():
    # Not larger than every space (the men's hall has 10), but the wing has 2 beds.
    answer = run(
        [space("wing", 2, "women_and_children"), space("men", 10, "men_only")],
        [party("mother", WOMAN, GIRL, BOY)],
    )
    assert reasons(answer) == {"mother": "no_capacity"}


def test_reason_no_capacity_when_others_took_the_beds():
    answer = run([space("room", 2)], [party("a", MAN, MAN, minute=0), party("b", MAN)])
    assert placed(answer) == {"a": "room"}
    assert reasons(answer) == {"b": "no_capacity"}


def test_reason_no_admitting_space():
    answer = run([space("wing", 5, "women_and_children")], [party("man", MAN)])
    assert reasons(answer) == {"man": "no_admitting_space"}


def test_reason_no_accessible_space_counts_full_spaces():
    # A full accessible space exists: the beds are the problem, not access.
    spaces = [space("hall", 10), space("ramp", 0, wheelchair=True)]
    assert reasons(run(spaces, [party("w", WHEELCHAIR_MAN)])) == {"w": "no_capacity"}
    assert reasons(run(spaces[:1], [party("w", WHEELCHAIR_MAN)])) == {"w": "no_accessible_space"}


def test_every_party_is_accounted_for_once_and_lists_are_in_queue_order():
    parties = [party(f"p{k}", MAN, minute=k) for k in range(6)]
    answer = run([space("a", 2), space("b", 1)], parties)
    assert [p.party for p in answer.placements] == ["p0", "p1", "p2"]
    assert [u.party for u in answer.unplaced] == ["p3", "p4", "p5"]


def test_empty_instances():
    assert solve(spaces=[], parties=[]) == Answer((), (), 0)
    answer = run([], [party("p", MAN)])
    assert reasons(answer) == {"p": "no_admitting_space"}


# -- objective ---------------------------------------------------------------------------


def test_packing_beats_first_fit():
    # 10 beds: 6 + 4 fills it; the greedy takes the 7 first and strands 3.
    parties = [
        party("seven", *[MAN] * 7, minute=0),
        party("six", *[WOMAN] * 5, BOY, minute=1),
        party("four", WOMAN, GIRL, BOY, BABY, minute=2),
    ]
    answer = run([space("hall", 10)], parties)
    assert placed(answer) == {"six": "hall", "four": "hall"}
    assert answer.weight == 7 + 7
    assert greedy(spaces=[space("hall", 10)], parties=parties).weight == 7


def test_moves_a_flexible_party_to_make_room_for_a_constrained_one():
    # The couple could go to either space, the wheelchair user only to the ramp.
    parties = [party("couple", MAN, WOMAN, minute=0), party("w", WHEELCHAIR_MAN, minute=5)]
    spaces = [space("ramp", 2, wheelchair=True), space("hall", 2)]
    answer = run(spaces, parties)
    assert placed(answer) == {"couple": "hall", "w": "ramp"}


# -- scarce beds -------------------------------------------------------------------------


def test_single_adult_keeps_off_the_wheelchair_space_when_a_hall_fits():
    spaces = [space("ramp", 30, wheelchair=True), space("hall", 30)]
    assert placed(run(spaces, [party("p", MAN)])) == {"p": "hall"}


def test_single_adult_keeps_off_the_pet_flat_when_a_hall_fits():
    spaces = [space("flat", 4, pets=True), space("hall", 50)]
    assert placed(run(spaces, [party("p", MAN)])) == {"p": "hall"}


def test_single_adult_does_not_take_an_apartment_when_a_hall_has_room():
    spaces = [space("flat", 4, shelter="apartment"), space("hall", 50, shelter="gym")]
    assert placed(run(spaces, [party("p", MAN)])) == {"p": "hall"}


def test_family_of_four_gets_the_apartment_it_fills():
    spaces = [space("hall", 50, shelter="gym"), space("flat", 4, shelter="apartment")]
    family = party("fam", MAN, WOMAN, BOY, GIRL)
    assert placed(run(spaces, [family])) == {"fam": "flat"}


def test_mother_goes_to_the_families_or_women_wing_before_the_general_hall():
    spaces = [space("hall", 40), space("wing", 20, "women_and_children")]
    assert placed(run(spaces, [party("m", WOMAN, BABY)])) == {"m": "wing"}


def test_wheelchair_space_is_used_when_nothing_else_fits():
    spaces = [space("ramp", 3, wheelchair=True), space("hall", 1)]
    answer = run(spaces, [party("a", MAN), party("b", MAN), party("c", MAN)])
    assert len(answer.placements) == 3


# -- determinism and the baseline --------------------------------------------------------


def test_same_input_same_answer_whatever_the_party_order():
    parties = [
        party(f"p{k}", *([MAN] * (1 + k % 3)), *([BOY] * (k % 2)), minute=k % 4, pets=k % 5 == 0)
        for k in range(30)
    ]
    spaces = [space("a", 7), space("b", 5, "families"), space("c", 9, "men_only", pets=True)]
    first = run(spaces, parties)
    assert run(spaces, parties) == first
    assert run(spaces, list(reversed(parties))) == first


def test_greedy_is_first_come_first_fit():
    spaces = [space("a", 2), space("b", 3)]
    parties = [party("late", MAN, minute=5), party("early", MAN, MAN, MAN, minute=0)]
    answer = greedy(spaces=spaces, parties=parties)
    assert placed(answer) == {"early": "b", "late": "a"}
    assert violations(spaces=spaces, parties=parties, answer=answer) == []


def test_answer_to_json():
    answer = Answer((Placement("p1", "s1"),), (Unplaced("p2", "no_capacity"),), 3)
    assert answer_to_json(answer) == {
        "placements": [{"party": "p1", "space": "s1"}],
        "unplaced": [{"party": "p2", "reason": "no_capacity"}],
        "weight": 3,
    }


# -- the checker -------------------------------------------------------------------------


def test_violations_reports_each_broken_rule():
    spaces = [space("room", 2), space("wing", 5, "women_and_children"), space("hall", 9)]
    parties = [
        party("trio", MAN, MAN, MAN),
        party("man", MAN),
        party("dog", WOMAN, pets=1),
        party("w", WHEELCHAIR_MAN, minute=1),
        party("lost", WOMAN, minute=2),
    ]
    bad = Answer(
        placements=(
            Placement("trio", "room"),
            Placement("man", "wing"),
            Placement("dog", "hall"),
            Placement("w", "hall"),
            Placement("w", "room"),
            Placement("ghost", "hall"),
        ),
        unplaced=(Unplaced("dog", "no_capacity"),),
        weight=1,
    )
    text = "\n".join(violations(spaces=spaces, parties=parties, answer=bad))
    assert "3 people placed in 2 free beds" in text
    assert "admits women_and_children" in text
    assert "does not allow pets" in text
    assert "needs a wheelchair" in text
    assert "placed more than once" in text
    assert "unknown party 'ghost'" in text
    assert "listed twice" in text
    assert "lost is neither placed nor unplaced" in text
    assert "weight 1 is not" in text


@pytest.mark.parametrize("member", [UNSPECIFIED_ADULT, UNSPECIFIED_SENIOR])
def test_violations_flags_an_adult_or_senior_of_unspecified_sex_in_the_wing(member):
    spaces = [space("wing", 5, "women_and_children")]
    parties = [party("p", WOMAN, member, BOY)]
    bad = Answer((Placement("p", "wing"),), (), party_weight(parties[0]))
    assert violations(spaces=spaces, parties=parties, answer=bad) == [
        "space wing admits women_and_children, not party p (rule 3)"
    ]
    # Left waiting, the true reason is that no space admits them; no_capacity is false.
    waiting = Answer((), (Unplaced("p", "no_admitting_space"),), 0)
    assert violations(spaces=spaces, parties=parties, answer=waiting) == []
    wrong = Answer((), (Unplaced("p", "no_capacity"),), 0)
    assert violations(spaces=spaces, parties=parties, answer=wrong) == [
        "party p: no space admits it, no_capacity is not true"
    ]


def test_violations_rejects_false_reasons_and_leftover_room():
    spaces = [space("hall", 3)]
    parties = [party("a", MAN), party("b", WOMAN, minute=1)]
    answer = Answer((Placement("a", "hall"),), (Unplaced("b", "party_too_large"),), 1)
    text = "\n".join(violations(spaces=spaces, parties=parties, answer=answer))
    assert "not larger than every space" in text
    assert "unplaced while space hall admits it and has 2 beds left" in text
    answer = Answer((Placement("a", "hall"),), (Unplaced("b", "tired"),), 1)
    assert "unknown reason" in "\n".join(violations(spaces=spaces, parties=parties, answer=answer))


def test_waiting_since_orders_across_time_zones():
    east = party("east", MAN)  # 18:00 +05:00 = 13:00 UTC
    west = party("west", MAN)
    west = type(west)(west.id, (T0 - timedelta(minutes=1)).astimezone(), west.members, 0)
    answer = run([space("bed", 1)], [east, west])
    assert placed(answer) == {"west": "bed"}


def test_waiting_since_orders_by_the_instant_in_a_zone_with_summer_time():
    # Berlin's clocks went back at 03:00 on 30 October 2022: 02:30 of the first pass
    # (00:30 UTC) came before 02:10 of the second (01:10 UTC), under the same zone.
    berlin = ZoneInfo("Europe/Berlin")
    first = Party("first", datetime(2022, 10, 30, 2, 30, tzinfo=berlin), (MAN,), 0)
    later = Party("later", datetime(2022, 10, 30, 2, 10, fold=1, tzinfo=berlin), (MAN,), 0)
    assert first.waiting_since < later.waiting_since.astimezone(UTC)

    assert queue_order([later, first]) == [1, 0]
    assert placed(run([space("bed", 1)], [later, first])) == {"first": "bed"}


def test_waiting_since_in_one_fixed_offset_orders_by_the_instant():
    parties = [party(name, MAN, minute=minute) for name, minute in [("b", 2), ("a", 0), ("c", 1)]]
    in_utc = [Party(p.id, p.waiting_since.astimezone(UTC), p.members, 0) for p in parties]

    assert queue_order(parties) == queue_order(in_utc) == [1, 2, 0]


def test_parties_of_the_same_people_differ_by_their_pets():
    # One tuple of members for both, as the snapshot gives parties of the same people.
    people = (WOMAN,)
    with_cat = Party("cat", T0, people, 1)
    alone = Party("alone", T0 + timedelta(minutes=1), people, 0)

    answer = run([space("hall", 2)], [with_cat, alone])

    assert placed(answer) == {"alone": "hall"}
    assert reasons(answer) == {"cat": "no_pet_friendly_space"}
