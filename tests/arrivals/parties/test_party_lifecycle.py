"""A party's life through the API: registered, placed, checked in, checked out or
cancelled; every wrong step answers 409 with a code and changes nothing."""

from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from accounts.access import system_access
from arrivals import services
from arrivals.models import (
    Party,
    PartyEvent,
    PartyMember,
    PartyStatus,
    Placement,
    PlacementStatus,
)

from .conftest import PARTIES, body, party_url

pytestmark = pytest.mark.django_db

PLACEMENT_KEYS = {
    "id",
    "shelter",
    "shelter_name",
    "address",
    "space",
    "space_name",
    "beds",
    "status",
    "held_until",
}


def test_register_answers_201_with_every_field_of_the_contract(volunteer_client, city, volunteer):
    response = volunteer_client.post(PARTIES, body(city), format="json")

    assert response.status_code == 201
    data = response.json()
    contract = {
        "id", "code", "status", "size", "priority", "created_at", "placement", "city",
        "registration_point", "languages", "pets", "nights_needed", "notes", "consent",
        "members",
    }  # fmt: skip
    assert contract <= set(data)
    assert data["status"] == "waiting"
    assert data["size"] == 2
    # docs/matching.md: a pregnant adult weighs 2, a child 2.
    assert data["priority"] == 4
    assert data["placement"] is None
    assert data["city"] == str(city.id)
    assert data["languages"] == ["ru", "kk"]
    assert data["nights_needed"] == 3
    assert data["consent"] is True
    assert data["members"][0]["given_name"] == "Aigerim"
    assert data["members"][0]["needs"] == ["pregnant"]
    assert data["members"][0]["diet"] == ["halal"]
    assert data["members"][1]["sex"] == "male"
    assert timezone.datetime.fromisoformat(data["created_at"]).tzinfo is not None

    party = Party.objects.get(id=data["id"])
    assert party.code == data["code"]
    assert party.status == PartyStatus.WAITING
    assert party.size == 2 and party.priority == 4
    assert party.created_by == volunteer
    assert list(party.members.values_list("given_name", flat=True)) == ["Aigerim", "Timur"]
    event = PartyEvent.objects.get(party=party)
    assert (event.from_status, event.to_status, event.actor) == ("", "waiting", volunteer.username)


@pytest.mark.parametrize(
    ("members", "priority"),
    [
        ([{"given_name": "A"}], 1),
        ([{"given_name": "A", "age_group": "senior"}], 2),
        ([{"given_name": "A", "age_group": "infant"}], 2),
        ([{"given_name": "A", "needs": ["wheelchair", "medical"]}], 2),
        ([{"given_name": "A", "needs": ["infant_care"]}, {"given_name": "B"}], 3),
        ([{"given_name": "A", "diet": ["vegetarian"]}, {"given_name": "B"}], 2),
    ],
)
def test_priority_is_the_matching_weight(volunteer_client, city, members, priority):
    response = volunteer_client.post(PARTIES, body(city, members=members), format="json")

    assert response.status_code == 201
    assert response.data["priority"] == priority
    assert Party.objects.get(id=response.data["id"]).priority == priority


def test_registration_matches_after_commit_and_answers_with_the_placement(
    volunteer_client, city, space, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = volunteer_client.post(PARTIES, body(city), format="json")
    assert response.status_code == 201

    party = Party.objects.get(id=response.data["id"])
    assert party.status == PartyStatus.PLACED
    placement = Placement.objects.get(party=party)
    assert placement.status == PlacementStatus.HELD
    space.refresh_from_db()
    assert space.beds_held == 2

    shown = volunteer_client.get(party_url(party.id)).json()
    assert shown["status"] == "placed"
    assert set(shown["placement"]) == PLACEMENT_KEYS
    assert shown["placement"]["id"] == str(placement.id)
    assert shown["placement"]["space"] == str(space.id)
    assert shown["placement"]["shelter"] == str(space.shelter_id)
    assert shown["placement"]["shelter_name"] == space.shelter.name
    assert shown["placement"]["address"] == space.shelter.address
    assert shown["placement"]["space_name"] == space.name
    assert shown["placement"]["beds"] == 2
    assert shown["placement"]["status"] == "held"
    assert shown["placement"]["held_until"] is not None


def test_full_lifecycle_records_every_status_change(placed, space, manager_client, manager):
    space.refresh_from_db()
    assert (space.beds_held, space.beds_occupied) == (2, 0)

    response = manager_client.post(party_url(placed.id, "check-in"))
    assert response.status_code == 200
    assert response.data["id"] == str(placed.id)
    assert response.data["status"] == "checked_in"
    assert response.data["placement"]["status"] == "checked_in"
    space.refresh_from_db()
    assert (space.beds_held, space.beds_occupied) == (0, 2)

    response = manager_client.post(party_url(placed.id, "check-out"))
    assert response.status_code == 200
    assert response.data["status"] == "departed"
    assert response.data["placement"]["status"] == "ended"
    space.refresh_from_db()
    assert (space.beds_held, space.beds_occupied) == (0, 0)
    placed.refresh_from_db()
    assert placed.status == PartyStatus.DEPARTED
    assert Placement.objects.get(party=placed).status == PlacementStatus.ENDED

    events = list(PartyEvent.objects.filter(party=placed).order_by("at", "id"))
    assert [(e.from_status, e.to_status) for e in events] == [
        ("", "waiting"),
        ("waiting", "placed"),
        ("placed", "checked_in"),
        ("checked_in", "departed"),
    ]
    assert [e.actor for e in events[2:]] == [manager.username, manager.username]
    assert all(e.at is not None for e in events)


def test_status_change_time_is_recorded(placed, coordinator_client):
    later = timezone.now() + timedelta(hours=1)
    with time_machine.travel(later, tick=False):
        response = coordinator_client.post(party_url(placed.id, "check-in"))
    assert response.status_code == 200
    event = PartyEvent.objects.get(party=placed, to_status=PartyStatus.CHECKED_IN)
    assert event.at == later
    placed.refresh_from_db()
    assert placed.status_changed_at == later


def test_cancel_of_a_placed_party_frees_its_held_beds_at_once(
    placed, space, coordinator_client, coordinator
):
    response = coordinator_client.post(
        party_url(placed.id, "cancel"), {"reason": "went to relatives"}, format="json"
    )

    assert response.status_code == 200
    assert response.data["status"] == "cancelled"
    assert response.data["placement"] is None
    space.refresh_from_db()
    assert (space.beds_held, space.beds_occupied) == (0, 0)
    assert Placement.objects.get(party=placed).status == PlacementStatus.CANCELLED
    event = PartyEvent.objects.get(party=placed, to_status=PartyStatus.CANCELLED)
    assert (event.from_status, event.actor, event.reason) == (
        "placed",
        coordinator.username,
        "went to relatives",
    )


def test_cancel_of_a_waiting_party(register, coordinator_client):
    party = register()

    response = coordinator_client.post(party_url(party.id, "cancel"))

    assert response.status_code == 200
    assert response.data["status"] == "cancelled"
    party.refresh_from_db()
    assert party.status == PartyStatus.CANCELLED
    assert PartyEvent.objects.filter(party=party, to_status="cancelled").count() == 1


def _snapshot(party, space):
    party.refresh_from_db()
    space.refresh_from_db()
    return (
        party.status,
        space.beds_held,
        space.beds_occupied,
        space.version,
        PartyEvent.objects.filter(party=party).count(),
        sorted(Placement.objects.filter(party=party).values_list("status", flat=True)),
    )


def _assert_conflict(client, party, space, action, code):
    before = _snapshot(party, space)
    response = client.post(party_url(party.id, action))
    assert response.status_code == 409, response.content
    assert response.data["code"] == code
    assert response.data["detail"]
    assert _snapshot(party, space) == before


def test_check_in_of_a_waiting_party_is_a_conflict(register, coordinator_client, space):
    _assert_conflict(coordinator_client, register(), space, "check-in", "not_placed")


def test_check_out_of_a_waiting_party_is_a_conflict(register, coordinator_client, space):
    _assert_conflict(coordinator_client, register(), space, "check-out", "not_placed")


def test_check_out_of_a_placed_party_is_a_conflict(placed, manager_client, space):
    _assert_conflict(manager_client, placed, space, "check-out", "not_checked_in")


def test_check_in_twice_is_a_conflict(checked_in, manager_client, space):
    _assert_conflict(manager_client, checked_in, space, "check-in", "already_checked_in")


def test_cancel_of_a_checked_in_party_is_a_conflict(checked_in, coordinator_client, space):
    _assert_conflict(coordinator_client, checked_in, space, "cancel", "already_checked_in")


@pytest.mark.parametrize("action", ["check-in", "check-out", "cancel"])
def test_nothing_happens_to_a_departed_party(checked_in, coordinator_client, space, action):
    assert coordinator_client.post(party_url(checked_in.id, "check-out")).status_code == 200
    _assert_conflict(coordinator_client, checked_in, space, action, "party_closed")


@pytest.mark.parametrize("action", ["check-in", "check-out"])
def test_the_manager_who_checked_a_party_out_is_told_it_left(
    checked_in, manager_client, volunteer_client, space, action
):
    """No longer at their shelter, but seen there: the state is why (409), not a 403."""
    assert manager_client.post(party_url(checked_in.id, "check-out")).status_code == 200
    _assert_conflict(manager_client, checked_in, space, action, "party_closed")
    # One who may never do it is still refused, whatever the state.
    assert volunteer_client.post(party_url(checked_in.id, action)).status_code == 403


def test_the_manager_whose_party_was_cancelled_meanwhile_is_told_so(
    placed, coordinator_client, manager_client, space
):
    """The coordinator cancels the party while its shelter's manager is at the door: the
    manager's check-in says why (409), not that the party does not exist (404)."""
    assert coordinator_client.post(party_url(placed.id, "cancel")).status_code == 200
    _assert_conflict(manager_client, placed, space, "check-in", "party_closed")


def test_the_manager_whose_hold_was_given_up_meanwhile_is_told_so(
    placed, manager_client, other_manager_client, other_coordinator_client, space
):
    """Its hold taken back, the party waits again: the manager who held it is told that no
    beds are held at their shelter; others still get 404 and learn nothing."""
    held = Placement.objects.get(party=placed, status=PlacementStatus.HELD)
    services.placement_cancel(placement_id=held.id, actor="coord")
    _assert_conflict(manager_client, placed, space, "check-in", "not_held_here")
    assert manager_client.post(party_url(placed.id, "check-in")).data["detail"] == (
        "The party has no beds held at your shelter any more: nothing was done."
    )
    for client in (other_manager_client, other_coordinator_client):
        assert client.post(party_url(placed.id, "check-in")).status_code == 404


def test_an_action_on_a_malformed_party_id_is_404(manager_client):
    assert manager_client.post("/api/v1/parties/not-a-uuid/check-in/").status_code == 404


@pytest.mark.parametrize("action", ["check-in", "check-out", "cancel"])
def test_nothing_happens_to_a_cancelled_party(placed, coordinator_client, space, action):
    assert coordinator_client.post(party_url(placed.id, "cancel")).status_code == 200
    _assert_conflict(coordinator_client, placed, space, action, "party_closed")


def test_volunteer_may_not_check_in(placed, volunteer_client, space):
    before = _snapshot(placed, space)
    response = volunteer_client.post(party_url(placed.id, "check-in"))
    assert response.status_code == 403
    assert _snapshot(placed, space) == before


def test_manager_of_another_shelter_cannot_touch_the_party(placed, other_manager_client, space):
    before = _snapshot(placed, space)
    for action in ("check-in", "check-out"):
        assert other_manager_client.post(party_url(placed.id, action)).status_code == 404
    assert _snapshot(placed, space) == before


@pytest.mark.parametrize("who", ["volunteer_client", "manager_client", "api_key_client"])
def test_only_coordinators_cancel(placed, space, who, request):
    """Volunteers, managers and keys may not cancel (docs/api-reference.md, Who may do what)."""
    before = _snapshot(placed, space)
    assert request.getfixturevalue(who).post(party_url(placed.id, "cancel")).status_code == 403
    assert _snapshot(placed, space) == before


def test_coordinator_of_another_city_gets_404(placed, other_coordinator_client, space):
    before = _snapshot(placed, space)
    for action in ("check-in", "check-out", "cancel"):
        assert other_coordinator_client.post(party_url(placed.id, action)).status_code == 404
    assert _snapshot(placed, space) == before


def test_cancel_reason_too_long_is_400(register, coordinator_client):
    party = register()
    response = coordinator_client.post(
        party_url(party.id, "cancel"), {"reason": "x" * 501}, format="json"
    )
    assert response.status_code == 400
    assert "reason" in response.data
    party.refresh_from_db()
    assert party.status == PartyStatus.WAITING


def test_check_out_frees_beds_for_the_next_waiting_party(
    checked_in,
    coordinator_client,
    space,
    city,
    volunteer_client,
    django_capture_on_commit_callbacks,
):
    space.beds = 2
    space.save(update_fields=["beds"])
    waiting = volunteer_client.post(PARTIES, body(city), format="json")
    assert waiting.status_code == 201
    assert Party.objects.get(id=waiting.data["id"]).status == PartyStatus.WAITING

    with django_capture_on_commit_callbacks(execute=True):
        response = coordinator_client.post(party_url(checked_in.id, "check-out"))

    assert response.status_code == 200
    assert Party.objects.get(id=waiting.data["id"]).status == PartyStatus.PLACED
    space.refresh_from_db()
    assert (space.beds_held, space.beds_occupied) == (2, 0)


def test_services_raise_for_wrong_states_without_partial_writes(register, space):
    party = register()
    with pytest.raises(services.Conflict) as error:
        services.party_check_in(party_id=party.id, access=system_access("x"))
    assert error.value.code == "not_placed"
    assert PartyMember.objects.filter(party=party).count() == 2
    assert PartyEvent.objects.filter(party=party).count() == 1


def test_cancel_reason_with_control_characters_is_400(register, coordinator_client):
    party = register()
    response = coordinator_client.post(
        party_url(party.id, "cancel"), {"reason": "left\x1b[31m"}, format="json"
    )
    assert response.status_code == 400
    assert "reason" in response.data
    party.refresh_from_db()
    assert party.status == PartyStatus.WAITING
