"""PATCH /api/v1/parties/{id}/: correcting a registration while the party waits or is held
(docs/api-reference.md, Parties). Who may, in which states, what happens to held beds."""

from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from accounts.models import Role, Scope
from arrivals import services
from arrivals.models import Party, PartyEvent, PartyStatus, Placement, PlacementStatus
from privacy.models import AuditEntry
from shelters.models import Space
from tests import factories
from tests.arrivals.workflow.helpers import assert_consistent
from tests.conftest import client_for, key_client

from .conftest import PARTIES, party_url

pytestmark = pytest.mark.django_db

WOMAN = {"given_name": "Aigerim", "sex": "female", "age_group": "adult"}
CHILD = {"given_name": "Timur", "sex": "male", "age_group": "child"}


def patch(client, party, data):
    return client.patch(party_url(party.id), data, format="json")


def test_the_registering_volunteer_corrects_members_and_details(volunteer_client, register):
    party = register()
    answer = patch(
        volunteer_client,
        party,
        {
            "members": [WOMAN, CHILD, {"given_name": "Dana", "age_group": "infant"}],
            "pets": 1,
            "notes": "A cat in a box",
            "languages": ["RU"],
            "nights_needed": 5,
        },
    )
    assert answer.status_code == 200, answer.content
    body = answer.json()
    assert body["size"] == 3
    assert [member["given_name"] for member in body["members"]] == ["Aigerim", "Timur", "Dana"]
    assert (body["pets"], body["notes"], body["languages"], body["nights_needed"]) == (
        1,
        "A cat in a box",
        ["ru"],
        5,
    )
    assert body["waiting_reason"] == "not_yet_matched"
    assert "Cache-Control" in answer and "no-store" in answer["Cache-Control"]
    party.refresh_from_db()
    assert (party.size, party.priority, party.revision) == (3, 5, 1)
    event = PartyEvent.objects.filter(party=party).order_by("at", "id").last()
    assert (event.from_status, event.to_status) == ("waiting", "waiting")
    assert event.actor == party.created_by.username
    assert "members" in event.reason and "pets" in event.reason
    assert AuditEntry.objects.filter(action="update", object_id=str(party.id)).exists()


def test_what_is_not_sent_stays(volunteer_client, register):
    party = register()
    answer = patch(volunteer_client, party, {"notes": "Only the notes"})
    assert answer.status_code == 200, answer.content
    party.refresh_from_db()
    assert party.notes == "Only the notes"
    assert (party.pets, party.nights_needed, party.languages) == (0, 3, ["ru", "kk"])
    assert party.members.count() == 2
    # The phone is unchanged (still there, still its digest).
    assert party.contact_phone == "+7 701 123-45-67"


def test_a_member_sent_without_family_name_keeps_it(volunteer_client, register):
    party = register()  # the first member has a family name the volunteer cannot see
    members = [{**WOMAN, "needs": ["wheelchair"]}, CHILD]
    assert patch(volunteer_client, party, {"members": members}).status_code == 200
    first = party.members.order_by("position").first()
    assert first.family_name == "Nurlanova"
    assert first.needs == ["wheelchair"]
    # Sending it empty erases it.
    members[0]["family_name"] = ""
    assert patch(volunteer_client, party, {"members": members}).status_code == 200
    assert party.members.order_by("position").first().family_name is None


def family_names(party) -> list:
    return [(m.given_name, m.family_name) for m in party.members.order_by("position")]


def test_family_names_follow_their_people_when_members_are_reordered_or_removed(
    volunteer_client, register
):
    ivan = {"given_name": "Ivan", "family_name": "Petrov", "sex": "male"}
    olga = {"given_name": "Olga", "family_name": "Petrova", "sex": "female"}
    party = register(members=[ivan, olga, CHILD])
    without = [{k: v for k, v in m.items() if k != "family_name"} for m in (ivan, olga)]
    # Reordered by someone who never saw the family names: each keeps their own.
    assert patch(volunteer_client, party, {"members": [without[1], without[0]]}).status_code == 200
    assert family_names(party) == [("Olga", "Petrova"), ("Ivan", "Petrov")]
    # The first removed: the one left keeps hers, not the removed one's.
    assert patch(volunteer_client, party, {"members": [without[1]]}).status_code == 200
    assert family_names(party) == [("Olga", "Petrova")]
    # Renamed in place (another person): no family name passes to them.
    assert patch(volunteer_client, party, {"members": [WOMAN]}).status_code == 200
    assert family_names(party) == [("Aigerim", None)]


def test_two_members_of_one_given_name_keep_theirs_by_position(volunteer_client, register):
    first = {"given_name": "Ali", "family_name": "Abenov", "sex": "male"}
    second = {"given_name": "Ali", "family_name": "Bekov", "sex": "male"}
    party = register(members=[first, second])
    ali = {"given_name": "Ali", "sex": "male"}
    assert patch(volunteer_client, party, {"members": [ali, ali, CHILD]}).status_code == 200
    assert family_names(party) == [("Ali", "Abenov"), ("Ali", "Bekov"), ("Timur", None)]
    # A new member put first: each Ali keeps theirs, in their order.
    assert patch(volunteer_client, party, {"members": [CHILD, ali, ali]}).status_code == 200
    assert family_names(party) == [("Timur", None), ("Ali", "Abenov"), ("Ali", "Bekov")]


def test_one_of_two_members_of_one_name_removed_the_other_keeps_their_own(
    volunteer_client, register
):
    # Two children called "Kid": the boy removed, the girl keeps her family name, not his.
    boy = {"given_name": "Kid", "family_name": "Alpha", "sex": "male", "age_group": "child"}
    mother = {"given_name": "Mom", "family_name": "Beta", "sex": "female"}
    girl = {"given_name": "Kid", "family_name": "Gamma", "sex": "female", "age_group": "child"}
    party = register(members=[boy, mother, girl])
    sent = [{k: v for k, v in m.items() if k != "family_name"} for m in (mother, girl)]
    assert patch(volunteer_client, party, {"members": sent}).status_code == 200
    assert family_names(party) == [("Mom", "Beta"), ("Kid", "Gamma")]
    # Her age group corrected: no longer told apart from another person, she keeps none.
    sent[1]["age_group"] = "infant"
    assert patch(volunteer_client, party, {"members": sent}).status_code == 200
    assert family_names(party) == [("Mom", "Beta"), ("Kid", None)]


def test_the_same_correction_twice_changes_nothing_more(volunteer_client, register):
    party = register()
    data = {"members": [WOMAN], "notes": "Alone after all"}
    first = patch(volunteer_client, party, data)
    second = patch(volunteer_client, party, data)
    assert first.status_code == second.status_code == 200
    assert first.json() == second.json()
    party.refresh_from_db()
    assert party.revision == 1
    assert (
        PartyEvent.objects.filter(party=party, from_status="waiting", to_status="waiting").count()
        == 1
    )


@pytest.mark.parametrize(
    "data",
    [
        {"members": []},
        {"members": [{"sex": "female"}]},
        {"members": [{**WOMAN, "sex": "woman"}]},
        {"members": [WOMAN] * 31},
        {"members": [{**WOMAN, "needs": ["jetpack"]}]},
        {"pets": 11},
        {"pets": -1},
        {"nights_needed": 0},
        {"nights_needed": 366},
        {"notes": "x" * 1001},
        {"notes": "bell\x07"},
        {"contact_phone": "call me"},
        {"languages": ["not a code"]},
        {"members": "Aigerim"},
    ],
)
def test_the_registrations_validation_applies(volunteer_client, register, data):
    party = register()
    answer = patch(volunteer_client, party, data)
    assert answer.status_code == 400, answer.content
    assert set(answer.json()) <= {
        "members",
        "pets",
        "nights_needed",
        "notes",
        "contact_phone",
        "languages",
    }
    party.refresh_from_db()
    assert (party.revision, party.size) == (0, 2)


def test_fields_that_cannot_be_corrected_are_ignored(volunteer_client, register, other_city):
    party = register()
    answer = patch(
        volunteer_client,
        party,
        {"city": str(other_city.id), "status": "placed", "code": "AAAAAA", "notes": "n"},
    )
    assert answer.status_code == 200
    party.refresh_from_db()
    assert (party.city_id, party.status, party.notes) != (other_city.id, "placed", "x")
    assert party.status == PartyStatus.WAITING and party.notes == "n"


def test_after_24_hours_only_a_coordinator_corrects(volunteer_client, coordinator_client, register):
    party = register()
    later = timezone.now() + timedelta(hours=24, minutes=1)
    with time_machine.travel(later):
        refused = patch(volunteer_client, party, {"notes": "late"})
        assert refused.status_code == 403
        assert "24" in refused.json()["detail"]
        assert patch(coordinator_client, party, {"notes": "late"}).status_code == 200
    with time_machine.travel(timezone.now() + timedelta(hours=23)):
        assert patch(volunteer_client, party, {"notes": "in time"}).status_code == 200


def test_another_volunteer_of_the_city_may_see_but_not_correct(register, city):
    party = register()
    colleague = client_for(factories.member(Role.VOLUNTEER, cities=[city]))
    # Found by code (or opened by id), but not theirs to correct.
    assert colleague.get(PARTIES, {"code": party.code}).json()["count"] == 1
    answer = patch(colleague, party, {"notes": "mine now"})
    assert answer.status_code == 403
    assert "registered" in answer.json()["detail"]
    party.refresh_from_db()
    assert party.notes != "mine now"


def test_outside_the_city_is_404(register, other_volunteer_client, other_coordinator_client):
    party = register()
    assert patch(other_volunteer_client, party, {"notes": "x"}).status_code == 404
    assert patch(other_coordinator_client, party, {"notes": "x"}).status_code == 404


def test_managers_and_keys_may_not_correct(register, placed, manager_client, city, coordinator):
    assert patch(manager_client, placed, {"notes": "x"}).status_code == 403
    keys = key_client(city, coordinator, [Scope.PARTIES_READ, Scope.PARTIES_WRITE])
    assert patch(keys, placed, {"notes": "x"}).status_code == 403


def test_put_is_not_offered(volunteer_client, register):
    party = register()
    assert volunteer_client.put(party_url(party.id), {}, format="json").status_code == 405


def test_a_held_party_that_still_fits_keeps_its_beds(volunteer_client, placed, space):
    assert Space.objects.get(id=space.id).beds_held == 2
    answer = patch(
        volunteer_client, placed, {"members": [WOMAN, CHILD, {**CHILD, "given_name": "Ali"}]}
    )
    assert answer.status_code == 200, answer.content
    body = answer.json()
    assert body["status"] == "placed"
    assert body["placement"]["beds"] == 3 and body["placement"]["space"] == str(space.id)
    assert body["waiting_reason"] is None
    assert Space.objects.get(id=space.id).beds_held == 3
    # Smaller again: the beds given back.
    assert patch(volunteer_client, placed, {"members": [WOMAN]}).status_code == 200
    assert Space.objects.get(id=space.id).beds_held == 1
    assert Placement.objects.get(party=placed, status=PlacementStatus.HELD).beds == 1
    assert_consistent()


def test_a_held_party_that_no_longer_fits_is_released_and_matched_again(
    volunteer_client, placed, space, shelter, django_capture_on_commit_callbacks
):
    accessible = factories.SpaceFactory(shelter=shelter, beds=4, wheelchair_accessible=True)
    with django_capture_on_commit_callbacks(execute=True):
        answer = patch(
            volunteer_client, placed, {"members": [{**WOMAN, "needs": ["wheelchair"]}, CHILD]}
        )
    assert answer.status_code == 200, answer.content
    old = Placement.objects.filter(party=placed, space=space).get()
    assert old.status == PlacementStatus.CANCELLED
    assert Space.objects.get(id=space.id).beds_held == 0
    # The beds freed asked for matching: the party is held again, where it fits.
    placed.refresh_from_db()
    assert placed.status == PartyStatus.PLACED
    now = Placement.objects.get(party=placed, status=PlacementStatus.HELD)
    assert now.space_id == accessible.id
    assert Space.objects.get(id=accessible.id).beds_held == 2
    moves = list(placed.events.order_by("at", "id").values_list("from_status", "to_status"))
    assert moves[-3:] == [("placed", "placed"), ("placed", "waiting"), ("waiting", "placed")]
    assert_consistent()


def test_a_released_party_with_nowhere_to_go_waits_not_yet_matched(
    coordinator_client, placed, space
):
    answer = patch(coordinator_client, placed, {"pets": 2})  # the shelter takes no pets
    assert answer.status_code == 200, answer.content
    body = answer.json()
    assert (body["status"], body["placement"], body["waiting_reason"]) == (
        "waiting",
        None,
        "not_yet_matched",
    )
    assert Space.objects.get(id=space.id).beds_held == 0
    assert_consistent()


def test_growing_past_the_free_beds_releases_the_hold(volunteer_client, placed, space):
    Space.objects.filter(id=space.id).update(beds=3)  # 2 held, 1 free
    answer = patch(volunteer_client, placed, {"members": [WOMAN, CHILD, CHILD, CHILD]})
    assert answer.status_code == 200
    assert answer.json()["status"] == "waiting"
    assert Space.objects.get(id=space.id).beds_held == 0
    assert_consistent()


def test_notes_of_a_held_party_do_not_touch_its_beds(volunteer_client, placed, space):
    assert patch(volunteer_client, placed, {"notes": "Late train"}).status_code == 200
    held = Placement.objects.get(party=placed, status=PlacementStatus.HELD)
    assert (held.space_id, held.beds) == (space.id, 2)
    assert Space.objects.get(id=space.id).beds_held == 2


@pytest.mark.parametrize("state", ["checked_in", "departed", "cancelled"])
def test_other_states_answer_409(request, coordinator_client, checked_in, register, state):
    party = checked_in
    if state == "departed":
        assert coordinator_client.post(party_url(party.id, "check-out")).status_code == 200
    if state == "cancelled":
        party = register()
        assert coordinator_client.post(party_url(party.id, "cancel")).status_code == 200
    answer = patch(coordinator_client, party, {"notes": "too late"})
    assert answer.status_code == 409
    assert answer.json()["code"] in {"already_checked_in", "party_closed"}
    assert Party.objects.get(id=party.id).notes != "too late"


def test_a_new_phone_is_compared_for_duplicates(coordinator_client, register):
    first = register(contact_phone="+7 701 000 00 01")
    second = register(contact_phone="+7 701 000 00 02")
    answer = patch(coordinator_client, second, {"contact_phone": "77010000001"})
    assert answer.status_code == 200
    assert answer.json()["possible_duplicate"] is True
    assert answer.json()["contact_phone"] == "77010000001"
    assert first.id != second.id
    cleared = patch(coordinator_client, second, {"contact_phone": None})
    assert cleared.json()["possible_duplicate"] is False
    assert Party.objects.get(id=second.id).contact_phone_digest == ""


def test_a_correction_asks_for_matching(
    volunteer_client, register, space, django_capture_on_commit_callbacks
):
    party = register(members=[{**WOMAN, "needs": ["wheelchair"]}])
    services.matching_run_execute(
        run_id=services.matching_request(city_id=party.city_id, trigger="t").id
    )
    party.refresh_from_db()
    assert (party.status, party.waiting_reason) == ("waiting", "no_accessible_space")
    with django_capture_on_commit_callbacks(execute=True):
        answer = patch(volunteer_client, party, {"members": [WOMAN]})
    assert answer.status_code == 200
    party.refresh_from_db()
    assert party.status == PartyStatus.PLACED
