"""Manual placements, hold expiry, run folding and the re-check of stale proposals."""

from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from accounts.access import system_access
from accounts.models import Role
from arrivals import matching as engine
from arrivals import services
from arrivals.models import MatchingRun, Party, PartyStatus, Placement, PlacementStatus, RunStatus
from arrivals.selectors import engine_party
from shelters.models import Admits, ShelterStatus
from tests import factories
from tests.arrivals.workflow.helpers import assert_consistent
from tests.conftest import client_for

pytestmark = pytest.mark.django_db

MAN = {"given_name": "Ruslan", "sex": "male", "age_group": "adult"}
WOMAN = {"given_name": "Dana", "sex": "female", "age_group": "adult"}
CHILD = {"given_name": "Ali", "sex": "male", "age_group": "child"}
INFANT = {"given_name": "Ayan", "age_group": "infant"}  # sex left out: unspecified


def place(client, party, space):
    return client.post(
        "/api/v1/placements/", {"party": str(party.id), "space": str(space.id)}, format="json"
    )


def test_coordinator_places_by_hand(coordinator_client, coordinator, city, shelter):
    space = factories.SpaceFactory(shelter=shelter, beds=3)
    party = factories.PartyFactory(city=city, members=[WOMAN, CHILD])
    answer = place(coordinator_client, party, space)
    assert answer.status_code == 201, answer.content
    body = answer.json()
    assert body["party"] == str(party.id)
    assert body["space"] == str(space.id)
    assert body["shelter"] == str(shelter.id)
    assert body["beds"] == 2
    assert body["status"] == "held"
    assert body["created_by"] == coordinator.username
    held_until = Placement.objects.get(id=body["id"]).held_until
    assert timedelta(hours=2, minutes=59) < held_until - timezone.now() <= timedelta(hours=3)
    space.refresh_from_db()
    assert (space.beds_held, space.beds_occupied, space.beds_free) == (2, 0, 1)
    party.refresh_from_db()
    assert party.status == PartyStatus.PLACED
    assert list(party.events.values_list("to_status", "actor")) == [
        (PartyStatus.PLACED, coordinator.username)
    ]


def test_manual_placement_answers_no_capacity(coordinator_client, city, shelter):
    space = factories.SpaceFactory(shelter=shelter, beds=1)
    party = factories.PartyFactory(city=city, members=[WOMAN, CHILD])
    answer = place(coordinator_client, party, space)
    assert answer.status_code == 409
    assert answer.json()["code"] == "no_capacity"
    assert not Placement.objects.exists()
    party.refresh_from_db()
    assert party.status == PartyStatus.WAITING


@pytest.mark.parametrize(
    ("admits", "members", "pets", "wheelchair_space", "pets_shelter"),
    [
        (Admits.WOMEN_AND_CHILDREN, [WOMAN, MAN], 0, False, False),
        (Admits.MEN_ONLY, [MAN, WOMAN], 0, False, False),
        (Admits.FAMILIES, [WOMAN], 0, False, False),
        (Admits.FAMILIES, [WOMAN, MAN], 0, False, False),
        (Admits.ANYONE, [{**MAN, "needs": ["wheelchair"]}], 0, False, False),
        (Admits.ANYONE, [MAN], 1, True, False),
    ],
)
def test_manual_placement_answers_not_admitted(
    coordinator_client, city, admits, members, pets, wheelchair_space, pets_shelter
):
    shelter = factories.ShelterFactory(city=city, pets_allowed=pets_shelter)
    space = factories.SpaceFactory(
        shelter=shelter, beds=10, admits=admits, wheelchair_accessible=wheelchair_space
    )
    party = factories.PartyFactory(city=city, members=members, pets=pets)
    answer = place(coordinator_client, party, space)
    assert answer.status_code == 409
    assert answer.json()["code"] == "not_admitted"
    assert not Placement.objects.exists()
    space.refresh_from_db()
    assert space.beds_held == 0


@pytest.mark.parametrize(
    ("admits", "members"),
    [
        (Admits.WOMEN_AND_CHILDREN, [WOMAN, CHILD]),
        (Admits.WOMEN_AND_CHILDREN, [{**WOMAN, "age_group": "senior"}, CHILD, INFANT]),
        (Admits.MEN_ONLY, [MAN, {**MAN, "age_group": "senior"}]),
        (Admits.FAMILIES, [MAN, CHILD]),
        (Admits.ANYONE, [MAN]),
    ],
)
def test_manual_placement_admits(coordinator_client, city, shelter, admits, members):
    space = factories.SpaceFactory(shelter=shelter, beds=10, admits=admits)
    party = factories.PartyFactory(city=city, members=members)
    assert place(coordinator_client, party, space).status_code == 201


@pytest.mark.parametrize("age_group", ["adult", "senior"])
def test_an_adult_or_senior_of_unspecified_sex_never_goes_to_a_women_and_children_space(
    coordinator_client, city, shelter, age_group, django_capture_on_commit_callbacks
):
    wing = factories.SpaceFactory(shelter=shelter, beds=10, admits=Admits.WOMEN_AND_CHILDREN)
    with django_capture_on_commit_callbacks(execute=True):  # the run it asks for, done
        registered = coordinator_client.post(
            "/api/v1/parties/",
            {
                "city": str(city.id),
                "consent": True,
                # The API's sex defaults to unspecified.
                "members": [WOMAN, {"given_name": "Sam", "age_group": age_group}, CHILD],
            },
            format="json",
        )
    assert registered.status_code == 201, registered.content
    party = Party.objects.get(id=registered.json()["id"])
    assert sorted(party.members.values_list("age_group", "sex")) == sorted(
        [("adult", "female"), (age_group, "unspecified"), ("child", "male")]
    )
    # By hand: refused.
    answer = place(coordinator_client, party, wing)
    assert answer.status_code == 409
    assert answer.json()["code"] == "not_admitted"
    # By the matcher: left waiting, no space admits the party.
    with django_capture_on_commit_callbacks(execute=True):
        run = services.matching_request(city_id=city.id, trigger="test")
    run.refresh_from_db()
    assert run.status == RunStatus.DONE
    assert run.unplaced == [{"party": str(party.id), "reason": "no_admitting_space"}]
    assert not Placement.objects.exists()
    wing.refresh_from_db()
    assert wing.beds_held == 0
    party.refresh_from_db()
    assert party.status == PartyStatus.WAITING


def test_a_held_party_is_moved_by_hand(coordinator_client, city, shelter):
    first = factories.SpaceFactory(shelter=shelter, beds=4)
    second = factories.SpaceFactory(shelter=shelter, beds=4)
    small = factories.SpaceFactory(shelter=shelter, beds=1)
    party = factories.PartyFactory(city=city, members=[WOMAN, CHILD])
    old_id = place(coordinator_client, party, first).json()["id"]
    again = place(coordinator_client, party, first)
    assert again.status_code == 409
    assert again.json()["code"] == "already_placed_here"
    refused = place(coordinator_client, party, small)
    assert refused.status_code == 409
    assert refused.json()["code"] == "no_capacity"
    assert Placement.objects.get(id=old_id).status == PlacementStatus.HELD  # kept its beds
    moved = place(coordinator_client, party, second)
    assert moved.status_code == 201
    assert Placement.objects.get(id=old_id).status == PlacementStatus.CANCELLED
    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.beds_held, second.beds_held) == (0, 2)
    party.refresh_from_db()
    assert party.status == PartyStatus.PLACED
    assert list(party.events.values_list("to_status", flat=True)) == ["placed", "waiting", "placed"]
    assert_consistent()


def test_closed_shelter_and_checked_in_party_are_refused(coordinator_client, city, shelter):
    space = factories.SpaceFactory(shelter=shelter, beds=10)
    other = factories.SpaceFactory(shelter=shelter, beds=10)
    party = factories.PartyFactory(city=city)
    assert place(coordinator_client, party, space).status_code == 201
    services.party_check_in(party_id=party.id, access=system_access("manager"))
    again = place(coordinator_client, party, other)
    assert again.status_code == 409
    assert again.json()["code"] == "party_not_waiting"
    shelter.status = ShelterStatus.CLOSED
    shelter.save()
    other = factories.PartyFactory(city=city)
    closed = place(coordinator_client, other, space)
    assert closed.status_code == 409
    assert closed.json()["code"] == "shelter_closed"
    assert Placement.objects.count() == 1


def test_only_coordinators_place_by_hand(volunteer_client, city, shelter, other_city):
    space = factories.SpaceFactory(shelter=shelter, beds=10)
    party = factories.PartyFactory(city=city)
    assert place(volunteer_client, party, space).status_code == 403
    outsider = factories.member(Role.COORDINATOR, cities=[other_city])
    answer = place(client_for(outsider), party, space)
    assert answer.status_code == 400  # neither the party nor the space is theirs
    assert set(answer.json()) == {"party", "space"}
    assert not Placement.objects.exists()


def test_placement_cancel_returns_the_party_to_waiting(coordinator_client, city, shelter):
    space = factories.SpaceFactory(shelter=shelter, beds=4)
    party = factories.PartyFactory(city=city)
    placement_id = place(coordinator_client, party, space).json()["id"]
    answer = coordinator_client.post(f"/api/v1/placements/{placement_id}/cancel/")
    assert answer.status_code == 200
    assert answer.json()["status"] == "cancelled"
    party.refresh_from_db()
    space.refresh_from_db()
    assert party.status == PartyStatus.WAITING
    assert space.beds_held == 0
    assert coordinator_client.post(f"/api/v1/placements/{placement_id}/cancel/").status_code == 409


def run_matching(city, callbacks) -> MatchingRun:
    with callbacks(execute=True):
        run = services.matching_request(city_id=city.id, trigger="test")
    run.refresh_from_db()
    return run


def test_a_party_released_from_a_shelter_is_placed_elsewhere_not_sent_back(
    coordinator_client, city, shelter, django_capture_on_commit_callbacks
):
    cinema = factories.SpaceFactory(shelter=shelter, beds=6)
    school = factories.SpaceFactory(shelter=factories.ShelterFactory(city=city), beds=2)
    party = factories.PartyFactory(city=city, members=[WOMAN, CHILD])
    placement_id = place(coordinator_client, party, cinema).json()["id"]
    assert coordinator_client.post(f"/api/v1/placements/{placement_id}/cancel/").status_code == 200
    # The cinema has the most room, but the party was just released from it.
    run_matching(city, django_capture_on_commit_callbacks)
    [held] = Placement.objects.filter(party=party, status=PlacementStatus.HELD)
    assert held.space_id == school.id
    # Released from the school too: nowhere else has room, so it waits, saying why.
    held = Placement.objects.get(party=party, status=PlacementStatus.HELD)
    services.placement_cancel(placement_id=held.id, actor="coord")
    run = run_matching(city, django_capture_on_commit_callbacks)
    party.refresh_from_db()
    assert party.status == PartyStatus.WAITING
    assert run.unplaced == [{"party": str(party.id), "reason": "no_capacity"}]
    # Others are still placed in the cinema; a coordinator may still place it there by hand.
    other = factories.PartyFactory(city=city, members=[MAN, MAN, MAN])  # the cinema only
    run_matching(city, django_capture_on_commit_callbacks)
    assert Placement.objects.get(party=other, status=PlacementStatus.HELD).space_id == cinema.id
    assert place(coordinator_client, party, cinema).status_code == 201
    assert_consistent()


def test_a_released_shelter_is_offered_again_after_the_avoid_hours(
    city, shelter, django_capture_on_commit_callbacks, settings
):
    settings.RELEASED_SHELTER_AVOID_HOURS = 2
    space = factories.SpaceFactory(shelter=shelter, beds=2)
    party = factories.PartyFactory(city=city)
    placement = services.placement_create(party_id=party.id, space_id=space.id, actor="c")
    with time_machine.travel(timezone.now() + timedelta(hours=3, minutes=1)):
        assert services.placements_expire() == 1  # expired: released as well
        assert run_matching(city, django_capture_on_commit_callbacks).placed_parties == 0
    with time_machine.travel(timezone.now() + timedelta(hours=5, minutes=2)):
        assert run_matching(city, django_capture_on_commit_callbacks).placed_parties == 1
        new = Placement.objects.get(party=party, status=PlacementStatus.HELD)
    assert new.id != placement.id and new.space_id == space.id
    assert_consistent()


def test_released_parties_never_take_the_beds_the_others_were_given(city, shelter):
    spaces = [
        engine.Space(
            id=f"s{i}",
            shelter=f"h{i}",
            beds=2,
            admits="anyone",
            wheelchair_accessible=False,
            pets_allowed=False,
        )
        for i in range(2)
    ]
    members = (engine.Member(sex="male", age_group="adult"),) * 2
    since = timezone.now()
    parties = [engine.Party(id=f"p{i}", waiting_since=since, members=members) for i in range(3)]
    answer = services.matching_solve(
        spaces=spaces, parties=parties, released={"p2": frozenset({"h0"})}
    )
    assert engine.violations(spaces=spaces, parties=parties, answer=answer) == []
    placed = {placement.party: placement.space for placement in answer.placements}
    assert "p2" not in placed or placed["p2"] != "s0"
    assert sorted(placed.values()) == ["s0", "s1"]  # each space used once, 2 beds each
    assert [u.party for u in answer.unplaced] == [
        party for party in ("p0", "p1", "p2") if party not in placed
    ]


def test_placements_filters_and_scope(coordinator_client, volunteer_client, city, shelter):
    space = factories.SpaceFactory(shelter=shelter, beds=10)
    mine = factories.PartyFactory(city=city)
    place(coordinator_client, mine, space)
    other_city = factories.CityFactory()
    other_space = factories.SpaceFactory(shelter=factories.ShelterFactory(city=other_city))
    services.placement_create(
        party_id=factories.PartyFactory(city=other_city).id,
        space_id=other_space.id,
        actor="someone",
    )
    listed = volunteer_client.get("/api/v1/placements/").json()
    assert [row["party"] for row in listed["results"]] == [str(mine.id)]
    assert volunteer_client.get(f"/api/v1/placements/?shelter={shelter.id}").json()["count"] == 1
    assert volunteer_client.get("/api/v1/placements/?status=checked_in").json()["count"] == 0
    other = Placement.objects.get(space=other_space)
    assert volunteer_client.get(f"/api/v1/placements/{other.id}/").status_code == 404


def test_held_beds_expire_and_the_party_waits_again(city, shelter):
    space = factories.SpaceFactory(shelter=shelter, beds=2)
    party = factories.PartyFactory(city=city)
    placement = services.placement_create(party_id=party.id, space_id=space.id, actor="c")
    assert services.placements_expire() == 0
    with time_machine.travel(timezone.now() + timedelta(hours=3, minutes=1)):
        assert services.placements_expire() == 1
    placement.refresh_from_db()
    party.refresh_from_db()
    space.refresh_from_db()
    assert placement.status == PlacementStatus.EXPIRED
    assert party.status == PartyStatus.WAITING
    assert space.beds_held == 0
    assert party.events.last().actor == "expiry"
    assert_consistent()


def test_asks_fold_into_the_queued_run(city, django_capture_on_commit_callbacks):
    factories.PartyFactory(city=city)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        first = services.matching_request(city_id=city.id, trigger="a")
        second = services.matching_request(city_id=city.id, trigger="b")
    assert first.id == second.id
    assert MatchingRun.objects.filter(city=city, status=RunStatus.QUEUED).count() == 1
    assert len(callbacks) == 1  # one task enqueued for both asks


def test_a_run_places_and_records(city, shelter, django_capture_on_commit_callbacks):
    space = factories.SpaceFactory(shelter=shelter, beds=3)
    family = factories.PartyFactory(city=city, members=[WOMAN, CHILD])
    loner = factories.PartyFactory(city=city, members=[MAN, MAN])
    with django_capture_on_commit_callbacks(execute=True):
        run = services.matching_request(city_id=city.id, trigger="test")
    run.refresh_from_db()
    assert run.status == RunStatus.DONE
    assert (run.placed_parties, run.placed_people, run.waiting_parties) == (1, 2, 1)
    # The family weighs more (docs/matching.md): it gets the beds.
    assert Party.objects.get(id=family.id).status == PartyStatus.PLACED
    assert run.unplaced == [{"party": str(loner.id), "reason": "no_capacity"}]
    assert Placement.objects.get(party=family).created_by == "matcher"
    space.refresh_from_db()
    assert space.beds_held == 2
    assert_consistent()


def test_stale_proposals_are_rechecked(city, shelter):
    space = factories.SpaceFactory(shelter=shelter, beds=2)
    cancelled = factories.PartyFactory(city=city)
    big = factories.PartyFactory(city=city, members=[MAN, MAN])
    fits = factories.PartyFactory(city=city)
    services.party_cancel(party_id=cancelled.id, access=system_access("volunteer"))
    run = MatchingRun.objects.create(city=city, status=RunStatus.RUNNING)
    written = services.placements_apply(
        run=run,
        proposals=[
            engine.Placement(party=str(cancelled.id), space=str(space.id)),
            engine.Placement(party=str(fits.id), space=str(space.id)),
            engine.Placement(party=str(big.id), space=str(space.id)),  # 1 bed left: no
        ],
        compositions={
            str(party.id): engine_party(party, party.members.all())
            for party in (cancelled, big, fits)
        },
    )
    assert [placement.party_id for placement in written] == [fits.id]
    space.refresh_from_db()
    assert space.beds_held == 1
    assert Party.objects.get(id=cancelled.id).status == PartyStatus.CANCELLED
    assert Party.objects.get(id=big.id).status == PartyStatus.WAITING
    assert_consistent()


def test_counter_repair_restores_counters(city, shelter):
    space = factories.SpaceFactory(shelter=shelter, beds=5)
    party = factories.PartyFactory(city=city, members=[WOMAN, CHILD])
    services.placement_create(party_id=party.id, space_id=space.id, actor="c")
    type(space).objects.filter(id=space.id).update(beds_held=0, beds_occupied=3)
    assert services.space_counters_repair() == [space.id]
    space.refresh_from_db()
    assert (space.beds_held, space.beds_occupied) == (2, 0)
    assert services.space_counters_repair() == []


def test_a_lost_run_is_sent_again_once_a_minute(city, django_capture_on_commit_callbacks):
    factories.PartyFactory(city=city)
    long_ago = timezone.now() - timedelta(minutes=2)
    run = MatchingRun.objects.create(city=city, requested_at=long_ago, enqueued_at=long_ago)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        for _ in range(50):
            assert services.matching_request(city_id=city.id, trigger="timer").id == run.id
    assert len(callbacks) == 1  # sent again once, not once per ask
    run.refresh_from_db()
    assert run.enqueued_at > long_ago


def test_a_placement_s_reason_is_shown_to_coordinators_only(
    coordinator_client, volunteer_client, manager_client, city, shelter
):
    """The reason typed about a party (here, why it was moved) is read by those who read
    its history; a volunteer, a manager or a key gets the placement without the key."""
    space = factories.SpaceFactory(shelter=shelter, beds=10)
    party = factories.PartyFactory(city=city)
    why = "moved away from her ex-partner"
    made = coordinator_client.post(
        "/api/v1/placements/",
        {"party": str(party.id), "space": str(space.id), "reason": why},
        format="json",
    )
    assert made.status_code == 201 and made.json()["reason"] == why
    url = f"/api/v1/placements/{made.json()['id']}/"
    assert coordinator_client.get(url).json()["reason"] == why
    for client in (volunteer_client, manager_client):
        answer = client.get(url)
        assert answer.status_code == 200
        assert "reason" not in answer.json()
        listed = client.get("/api/v1/placements/")
        assert why not in listed.content.decode()
        assert all("reason" not in row for row in listed.json()["results"])


def test_a_long_manual_placement_reason_is_kept(coordinator_client, city, shelter):
    space = factories.SpaceFactory(shelter=shelter, beds=2)
    party = factories.PartyFactory(city=city)
    reason = "Needs to be near the hospital for dialysis. " * 11  # about 480 characters
    answer = coordinator_client.post(
        "/api/v1/placements/",
        {"party": str(party.id), "space": str(space.id), "reason": reason.strip()},
        format="json",
    )
    assert answer.status_code == 201, answer.content
    assert party.events.get().reason == reason.strip()
    too_long = coordinator_client.post(
        "/api/v1/placements/",
        {
            "party": str(factories.PartyFactory(city=city).id),
            "space": str(space.id),
            "reason": "x" * 501,
        },
        format="json",
    )
    assert too_long.status_code == 400


def test_party_history_lists_every_change_for_coordinators(
    coordinator_client, volunteer_client, coordinator, city, shelter
):
    space = factories.SpaceFactory(shelter=shelter, beds=2)
    party = services.party_register(
        city=city, members=[WOMAN], actor_id=None, actor="volunteer1", consent=True
    )
    place(coordinator_client, party, space)
    services.party_check_in(party_id=party.id, access=system_access("cinema_manager"))
    answer = coordinator_client.get(f"/api/v1/parties/{party.id}/history/")
    assert answer.status_code == 200
    events = answer.json()["results"]
    assert answer.json()["count"] == 3
    assert [(e["actor"], e["from_status"], e["to_status"]) for e in events] == [
        ("volunteer1", "", "waiting"),
        (coordinator.username, "waiting", "placed"),
        ("cinema_manager", "placed", "checked_in"),
    ]
    assert all(e["at"].endswith("Z") for e in events)
    assert volunteer_client.get(f"/api/v1/parties/{party.id}/history/").status_code == 403
