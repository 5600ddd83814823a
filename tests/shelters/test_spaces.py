"""/api/v1/spaces/ against docs/api-reference.md: scope, If-Match, the 409 rule, bounds."""

import pytest

from accounts.models import Role
from shelters.models import Space
from tests import factories
from tests.conftest import client_for

from .helpers import set_counters

pytestmark = pytest.mark.django_db

URL = "/api/v1/spaces/"
SPACE_FIELDS = {
    "id",
    "shelter",
    "name",
    "beds",
    "admits",
    "wheelchair_accessible",
    "beds_occupied",
    "beds_held",
    "beds_free",
    "version",
}


def detail(space) -> str:
    return f"{URL}{space.id}/"


def state(space) -> tuple:
    space.refresh_from_db()
    return (space.beds, space.beds_occupied, space.beds_held, space.version)


def test_list_fields_and_shelter_filter(coordinator_client, shelter, space, other_space):
    school = factories.ShelterFactory(city=shelter.city, name="School")
    wing = factories.SpaceFactory(shelter=school, name="Wing", admits="women_and_children")
    set_counters(space, held=1, occupied=2)

    body = coordinator_client.get(URL).json()
    assert body["count"] == 2
    assert {row["name"] for row in body["results"]} == {space.name, wing.name}
    row = next(row for row in body["results"] if row["id"] == str(space.id))
    assert set(row) >= SPACE_FIELDS
    assert row["shelter"] == str(shelter.id)
    assert (row["beds"], row["beds_occupied"], row["beds_held"], row["beds_free"]) == (10, 2, 1, 7)
    assert row["admits"] == "anyone"
    assert row["version"] == 1  # counters moved, nobody edited the space

    filtered = coordinator_client.get(URL, {"shelter": str(school.id)}).json()
    assert [row["name"] for row in filtered["results"]] == ["Wing"]
    assert filtered["results"][0]["admits"] == "women_and_children"
    assert coordinator_client.get(URL, {"shelter": "nope"}).status_code == 400
    assert coordinator_client.get(URL, {"shelter": str(other_space.shelter_id)}).json()[
        "count"
    ] == (0)


def test_manager_sees_only_own_spaces(manager_client, shelter, space):
    neighbour = factories.SpaceFactory(shelter=factories.ShelterFactory(city=shelter.city))
    body = manager_client.get(URL).json()
    assert [row["id"] for row in body["results"]] == [str(space.id)]
    assert manager_client.get(detail(neighbour)).status_code == 404


def test_other_city_answers_404_never_the_content(
    other_volunteer_client, other_coordinator_client, space
):
    for client in (other_volunteer_client, other_coordinator_client):
        response = client.get(detail(space))
        assert response.status_code == 404
        assert space.name not in response.content.decode()
    response = other_coordinator_client.patch(detail(space), {"beds": 99}, format="json")
    assert response.status_code == 404
    assert state(space) == (10, 0, 0, 1)


def test_retrieve_sends_etag(volunteer_client, space):
    response = volunteer_client.get(detail(space))
    assert response.status_code == 200
    assert response["ETag"] == '"1"'
    assert response.json()["version"] == 1


# --- edit ---


def test_manager_edits_own_space_and_not_another(manager_client, shelter, space):
    neighbour = factories.SpaceFactory(shelter=factories.ShelterFactory(city=shelter.city), beds=5)

    response = manager_client.patch(detail(space), {"beds": 12, "name": "Hall A"}, format="json")
    assert response.status_code == 200
    body = response.json()
    assert (body["beds"], body["name"], body["beds_free"], body["version"]) == (12, "Hall A", 12, 2)
    assert response["ETag"] == '"2"'
    assert state(space) == (12, 0, 0, 2)

    response = manager_client.patch(detail(neighbour), {"beds": 50}, format="json")
    assert response.status_code == 404
    assert state(neighbour) == (5, 0, 0, 1)


def test_volunteer_may_not_edit_spaces(volunteer_client, space):
    response = volunteer_client.patch(detail(space), {"beds": 99}, format="json")
    assert response.status_code == 403
    assert state(space) == (10, 0, 0, 1)


def test_if_match_with_the_current_version_is_taken(manager_client, space):
    etag = manager_client.get(detail(space))["ETag"]
    response = manager_client.patch(detail(space), {"beds": 11}, format="json", HTTP_IF_MATCH=etag)
    assert response.status_code == 200
    assert response["ETag"] == '"2"'
    assert state(space) == (11, 0, 0, 2)

    # the new ETag works for the next write; weak form and "*" are accepted too
    response = manager_client.patch(
        detail(space), {"beds": 12}, format="json", HTTP_IF_MATCH='W/"2"'
    )
    assert response.status_code == 200
    response = manager_client.patch(detail(space), {"beds": 13}, format="json", HTTP_IF_MATCH="*")
    assert response.status_code == 200
    assert state(space) == (13, 0, 0, 4)


def test_stale_if_match_answers_412_and_changes_nothing(manager_client, space):
    manager_client.patch(detail(space), {"beds": 11}, format="json")  # version 2 now
    response = manager_client.patch(
        detail(space), {"beds": 40, "name": "Lost update"}, format="json", HTTP_IF_MATCH='"1"'
    )
    assert response.status_code == 412
    assert response.json()["code"] == "precondition_failed"
    assert "ETag" not in response
    assert state(space) == (11, 0, 0, 2)
    assert space.name == "Auditorium 1"


@pytest.mark.parametrize(
    "header", ["abc", '"1', '"-1"', '"1.5"', '"1", x', '*, "1"', " , ", '"' + "9" * 30 + '"']
)
def test_malformed_if_match_answers_412_and_changes_nothing(manager_client, space, header):
    response = manager_client.patch(
        detail(space), {"beds": 40}, format="json", HTTP_IF_MATCH=header
    )
    assert response.status_code == 412
    assert state(space) == (10, 0, 0, 1)


def test_if_match_may_name_several_versions(manager_client, space):
    """RFC 9110: If-Match is a list of entity tags; the write is taken when the current
    version is among them, refused (412, nothing changed) when it is not."""
    manager_client.patch(detail(space), {"beds": 11}, format="json")  # version 2 now
    stale = manager_client.patch(
        detail(space), {"beds": 40}, format="json", HTTP_IF_MATCH='"1", W/"3"'
    )
    assert stale.status_code == 412
    assert state(space) == (11, 0, 0, 2)
    taken = manager_client.patch(
        detail(space), {"beds": 12}, format="json", HTTP_IF_MATCH='"1", W/"2",'
    )
    assert taken.status_code == 200, taken.content
    assert state(space) == (12, 0, 0, 3)


def test_without_if_match_the_write_is_taken(manager_client, space):
    manager_client.patch(detail(space), {"beds": 11}, format="json")
    response = manager_client.patch(detail(space), {"beds": 12}, format="json")
    assert response.status_code == 200
    assert state(space) == (12, 0, 0, 3)


def test_beds_below_occupied_and_held_answer_409_and_change_nothing(manager_client, space):
    set_counters(space, held=3, occupied=4)  # counters do not change the version

    response = manager_client.patch(
        detail(space), {"beds": 6, "name": "Renamed"}, format="json", HTTP_IF_MATCH='"1"'
    )

    assert response.status_code == 409
    body = response.json()
    assert body["code"] == "capacity_below_occupancy"
    assert body["detail"]
    assert state(space) == (10, 4, 3, 1)
    assert space.name == "Auditorium 1"

    # exactly what is used is allowed: no free bed left
    response = manager_client.patch(detail(space), {"beds": 7}, format="json")
    assert response.status_code == 200
    assert response.json()["beds_free"] == 0
    assert state(space) == (7, 4, 3, 2)


def test_beds_below_a_real_placement_answer_409(coordinator_client, city, shelter, space):
    from arrivals.services import placement_create

    party = factories.PartyFactory(city=city, members=[{"given_name": "A"}, {"given_name": "B"}])
    placement_create(party_id=party.id, space_id=space.id, actor="coordinator")
    assert state(space) == (10, 0, 2, 1)

    response = coordinator_client.patch(detail(space), {"beds": 1}, format="json")

    assert response.status_code == 409
    assert response.json()["code"] == "capacity_below_occupancy"
    assert state(space) == (10, 0, 2, 1)


@pytest.mark.parametrize("beds", [10_001, -1, 10**30, "many", None, 2.5, True, "", [3]], ids=repr)
def test_beds_out_of_bounds_answer_400(manager_client, space, beds):
    response = manager_client.patch(detail(space), {"beds": beds}, format="json")
    assert response.status_code == 400
    assert "beds" in response.json()
    assert state(space) == (10, 0, 0, 1)


def test_beds_at_the_bounds_are_taken(manager_client, space):
    assert manager_client.patch(detail(space), {"beds": 10_000}, format="json").status_code == 200
    assert manager_client.patch(detail(space), {"beds": 0}, format="json").status_code == 200
    assert state(space) == (0, 0, 0, 3)


def test_counters_and_version_are_read_only(manager_client, space):
    response = manager_client.patch(
        detail(space),
        {"beds_occupied": 5, "beds_held": 5, "beds_free": 0, "version": 40, "admits": "families"},
        format="json",
    )
    assert response.status_code == 200
    assert state(space) == (10, 0, 0, 2)
    assert space.admits == "families"


def test_a_space_cannot_move_to_another_shelter(coordinator_client, shelter, space):
    school = factories.ShelterFactory(city=shelter.city)
    response = coordinator_client.patch(detail(space), {"shelter": str(school.id)}, format="json")
    assert response.status_code == 400
    space.refresh_from_db()
    assert space.shelter_id == shelter.id


def test_renaming_onto_a_sibling_name_is_refused(manager_client, shelter, space):
    factories.SpaceFactory(shelter=shelter, name="Auditorium 2")
    response = manager_client.patch(detail(space), {"name": "Auditorium 2"}, format="json")
    assert response.status_code == 400
    assert state(space) == (10, 0, 0, 1)


# --- create and delete ---


def test_manager_creates_a_space_in_own_shelter_only(manager_client, shelter, other_shelter):
    response = manager_client.post(
        URL,
        {"shelter": str(shelter.id), "name": "Auditorium 2", "beds": 50, "admits": "families"},
        format="json",
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert set(body) >= SPACE_FIELDS
    assert (body["beds"], body["beds_free"], body["version"]) == (50, 50, 1)
    assert response["ETag"] == '"1"'
    assert Space.objects.get(id=body["id"]).shelter_id == shelter.id

    response = manager_client.post(
        URL, {"shelter": str(other_shelter.id), "name": "Mine", "beds": 5}, format="json"
    )
    assert response.status_code == 400
    assert "shelter" in response.json()
    assert not Space.objects.filter(name="Mine").exists()


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"name": "Auditorium 1", "beds": 5}, "name"),  # taken in the shelter
        ({"name": "New", "beds": 10_001}, "beds"),
        ({"name": "New"}, "beds"),
        ({"name": "New", "beds": 5, "admits": "cats"}, "admits"),
        ({"beds": 5}, "name"),
    ],
)
def test_bad_space_input_answers_400(coordinator_client, shelter, space, payload, field):
    response = coordinator_client.post(URL, {"shelter": str(shelter.id), **payload}, format="json")
    assert response.status_code == 400
    assert field in response.json()
    assert Space.objects.count() == 1


def test_volunteer_cannot_create_spaces(volunteer_client, shelter):
    response = volunteer_client.post(
        URL, {"shelter": str(shelter.id), "name": "X", "beds": 5}, format="json"
    )
    assert response.status_code == 403
    assert not Space.objects.exists()


def test_delete_an_unused_space_but_not_one_in_use(manager_client, shelter, space):
    used = factories.SpaceFactory(shelter=shelter, name="Used")
    set_counters(used, held=1)

    response = manager_client.delete(detail(used))
    assert response.status_code == 409
    assert response.json()["code"] == "space_in_use"
    assert Space.objects.filter(id=used.id).exists()

    assert manager_client.delete(detail(space)).status_code == 204
    assert not Space.objects.filter(id=space.id).exists()


def test_a_manager_of_two_shelters_edits_both(city):
    first = factories.ShelterFactory(city=city)
    second = factories.ShelterFactory(city=city)
    spaces = [factories.SpaceFactory(shelter=first), factories.SpaceFactory(shelter=second)]
    client = client_for(factories.member(Role.SHELTER_MANAGER, shelters=[first, second]))
    for space in spaces:
        assert client.patch(detail(space), {"beds": 3}, format="json").status_code == 200
        assert state(space)[0] == 3


def test_a_write_that_changes_nothing_keeps_the_version(manager_client, space):
    """Another caller's ETag stays good: only a change makes a new version."""
    for body in ({}, {"beds_occupied": 999, "version": 999}, {"beds": space.beds}):
        answer = manager_client.patch(detail(space), body, format="json")
        assert answer.status_code == 200
        assert answer["ETag"] == '"1"'
        assert state(space) == (10, 0, 0, 1)
    changed = manager_client.patch(detail(space), {"beds": 12}, format="json")
    assert changed["ETag"] == '"2"'


def test_a_shelter_write_that_changes_nothing_keeps_the_version(coordinator_client, shelter):
    url = f"/api/v1/shelters/{shelter.id}/"
    answer = coordinator_client.patch(url, {"name": shelter.name}, format="json")
    assert answer.status_code == 200
    assert answer["ETag"] == '"1"'
    assert coordinator_client.patch(url, {"name": "Renamed"}, format="json")["ETag"] == '"2"'


def test_renaming_a_space_to_a_taken_name_is_an_error_of_its_name(
    coordinator_client, shelter, space
):
    other = factories.SpaceFactory(shelter=shelter, name="Hall 2")
    response = coordinator_client.patch(detail(other), {"name": space.name}, format="json")
    assert response.status_code == 400
    assert response.json() == {"name": ["The shelter already has a space of this name."]}
    other.refresh_from_db()
    assert other.name == "Hall 2"
    # Its own name again is no clash.
    assert (
        coordinator_client.patch(detail(other), {"name": "Hall 2"}, format="json").status_code
        == 200
    )
