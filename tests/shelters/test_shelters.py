"""/api/v1/shelters/ against docs/api-reference.md: fields, filters, roles, scope, counters."""

import pytest

from accounts.models import Role
from shelters.models import Shelter, ShelterKind, ShelterStatus, Space
from tests import factories
from tests.conftest import client_for

from .helpers import set_counters

pytestmark = pytest.mark.django_db

URL = "/api/v1/shelters/"
SHELTER_FIELDS = {
    "id",
    "city",
    "name",
    "kind",
    "address",
    "latitude",
    "longitude",
    "status",
    "wheelchair_accessible",
    "pets_allowed",
    "contact_phone",
    "notes",
    "beds_total",
    "beds_occupied",
    "beds_held",
    "beds_free",
    "version",
}


def detail(shelter) -> str:
    return f"{URL}{shelter.id}/"


def names(response) -> set[str]:
    return {row["name"] for row in response.json()["results"]}


def test_list_has_every_field_of_the_contract_and_the_sums_of_the_spaces(
    coordinator_client, shelter, city
):
    first = factories.SpaceFactory(shelter=shelter, beds=50)
    second = factories.SpaceFactory(shelter=shelter, beds=30)
    set_counters(first, held=4, occupied=10)
    set_counters(second, occupied=5)

    response = coordinator_client.get(URL)

    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"count", "next", "previous", "results"}
    assert body["count"] == 1
    assert body["next"] is None and body["previous"] is None
    row = body["results"][0]
    assert set(row) >= SHELTER_FIELDS
    assert row["id"] == str(shelter.id)
    assert row["city"] == str(city.id)
    assert row["kind"] == "gym"
    assert row["status"] == "open"
    assert row["beds_total"] == 80
    assert row["beds_occupied"] == 15
    assert row["beds_held"] == 4
    assert row["beds_free"] == 61
    assert row["version"] == 1


def test_a_shelter_without_spaces_has_zero_beds(coordinator_client, shelter):
    row = coordinator_client.get(detail(shelter)).json()
    assert (row["beds_total"], row["beds_free"], row["beds_held"], row["beds_occupied"]) == (
        0,
        0,
        0,
        0,
    )


def test_pagination_pages_and_page_size(coordinator_client, city):
    for number in range(7):
        factories.ShelterFactory(city=city, name=f"Shelter {number:02d}")

    first = coordinator_client.get(URL, {"page_size": 3}).json()
    assert first["count"] == 7
    assert len(first["results"]) == 3
    assert first["previous"] is None
    assert "page=2" in first["next"]
    last = coordinator_client.get(URL, {"page_size": 3, "page": 3}).json()
    assert len(last["results"]) == 1
    assert last["next"] is None
    assert coordinator_client.get(URL, {"page": 99}).status_code == 404
    # Not a page number: a field error, not a 404 (tests/security/test_contract.py).
    assert coordinator_client.get(URL, {"page": "x"}).status_code == 400


def test_the_count_comes_with_the_page_and_alone_only_when_the_page_is_empty(
    coordinator_client, city
):
    for number in range(5):
        factories.ShelterFactory(city=city, name=f"Shelter {number:02d}")

    last = coordinator_client.get(URL, {"page_size": 2, "page": "last"}).json()
    assert last["count"] == 5
    assert [row["name"] for row in last["results"]] == ["Shelter 04"]
    assert "page=2" in last["previous"]
    second = coordinator_client.get(URL, {"page_size": 2, "page": 2}).json()
    assert second["count"] == 5
    assert [row["name"] for row in second["results"]] == ["Shelter 02", "Shelter 03"]
    assert coordinator_client.get(URL, {"page_size": 2, "page": 4}).status_code == 404
    # Past what the database's OFFSET takes: still a 404, not an error.
    assert coordinator_client.get(URL, {"page": "9" * 30}).status_code == 404
    none = coordinator_client.get(URL, {"kind": "hotel"}).json()
    assert none == {"count": 0, "next": None, "previous": None, "results": []}


def test_a_listed_shelter_is_what_the_serializer_answers(coordinator_client, city):
    """The list is built from `.values()` rows, the other answers by ShelterSerializer:
    both give the same JSON, decimals, ids and sums included."""
    shelter = factories.ShelterFactory(
        city=city,
        latitude="51.230000",
        longitude="-51.366712",
        address="Dostyk 1",
        status_reason="",
        contact_phone="+7 701 000 00 00",
        notes="Side door",
        pets_allowed=True,
    )
    set_counters(factories.SpaceFactory(shelter=shelter, beds=12), held=2, occupied=3)
    bare = factories.ShelterFactory(city=city, latitude=None, longitude=None)

    listed = {row["id"]: row for row in coordinator_client.get(URL).json()["results"]}

    for one in (shelter, bare):
        assert listed[str(one.id)] == coordinator_client.get(detail(one)).json()
    assert listed[str(shelter.id)]["latitude"] == 51.23
    assert listed[str(shelter.id)]["beds_free"] == 7


def test_each_role_lists_only_its_scope(
    coordinator_client, volunteer_client, manager_client, superuser_client, shelter, other_shelter
):
    second = factories.ShelterFactory(city=shelter.city, name="School")

    assert names(coordinator_client.get(URL)) == {shelter.name, second.name}
    assert names(volunteer_client.get(URL)) == {shelter.name, second.name}
    assert names(manager_client.get(URL)) == {shelter.name}
    assert names(superuser_client.get(URL)) == {shelter.name, second.name, other_shelter.name}


def test_filters(coordinator_client, city, other_shelter):
    gym = factories.ShelterFactory(city=city, name="Gym", kind=ShelterKind.GYM)
    school = factories.ShelterFactory(
        city=city, name="School", kind=ShelterKind.SCHOOL, wheelchair_accessible=True
    )
    closed = factories.ShelterFactory(
        city=city, name="Closed", kind=ShelterKind.GYM, status=ShelterStatus.CLOSED
    )
    full = factories.SpaceFactory(shelter=gym, beds=2)
    set_counters(full, occupied=2)
    factories.SpaceFactory(shelter=school, beds=5)
    factories.SpaceFactory(shelter=closed, beds=5)

    assert names(coordinator_client.get(URL, {"city": str(city.id)})) == {
        "Gym",
        "School",
        "Closed",
    }
    assert names(coordinator_client.get(URL, {"kind": "gym"})) == {"Gym", "Closed"}
    assert names(coordinator_client.get(URL, {"status": "closed"})) == {"Closed"}
    assert names(coordinator_client.get(URL, {"status": "open"})) == {"Gym", "School"}
    assert names(coordinator_client.get(URL, {"has_free_beds": "true"})) == {"School", "Closed"}
    assert names(coordinator_client.get(URL, {"wheelchair_accessible": "true"})) == {"School"}
    assert names(
        coordinator_client.get(URL, {"kind": "gym", "has_free_beds": "true", "status": "open"})
    ) == (set())
    # another city's id filters to nothing, it does not reveal that city's shelters
    assert names(coordinator_client.get(URL, {"city": str(other_shelter.city_id)})) == set()


@pytest.mark.parametrize(
    "query",
    [
        {"city": "not-a-uuid"},
        {"kind": "castle"},
        {"status": "maybe"},
        {"has_free_beds": "perhaps"},
        {"wheelchair_accessible": "2"},
        {"kind": "\x00"},
    ],
)
def test_bad_filter_values_answer_400(coordinator_client, shelter, query):
    response = coordinator_client.get(URL, query)
    assert response.status_code == 400
    assert set(response.json()) <= set(query)


def test_retrieve_sends_etag_and_hides_other_cities(
    coordinator_client, manager_client, shelter, other_shelter
):
    response = coordinator_client.get(detail(shelter))
    assert response.status_code == 200
    assert response["ETag"] == '"1"'
    assert response.json()["name"] == shelter.name

    for client in (coordinator_client, manager_client):
        hidden = client.get(detail(other_shelter))
        assert hidden.status_code == 404
        assert other_shelter.name not in hidden.content.decode()
    assert coordinator_client.get(f"{URL}not-a-uuid/").status_code == 404


def test_manager_does_not_see_another_shelter_of_the_same_city(manager_client, shelter):
    neighbour = factories.ShelterFactory(city=shelter.city, name="Neighbour")
    assert manager_client.get(detail(neighbour)).status_code == 404


# --- create ---


def test_coordinator_creates_a_shelter_in_own_city(coordinator_client, city):
    payload = {
        "city": str(city.id),
        "name": "Sports School No. 1 gym",
        "kind": "gym",
        "address": "Abai Avenue 12",
        "latitude": 51.2046,
        "longitude": 51.3701,
        "wheelchair_accessible": True,
        "pets_allowed": False,
        "contact_phone": "+7 7112 50 50 50",
        "notes": "Mats and blankets.",
    }
    response = coordinator_client.post(URL, payload, format="json")

    assert response.status_code == 201, response.content
    body = response.json()
    assert set(body) >= SHELTER_FIELDS
    assert response["ETag"] == '"1"'
    shelter = Shelter.objects.get(id=body["id"])
    assert shelter.city == city
    assert shelter.name == payload["name"]
    assert shelter.status == ShelterStatus.OPEN
    assert str(shelter.latitude) == "51.204600"
    assert body["latitude"] == 51.2046
    assert body["beds_total"] == 0
    assert body["version"] == 1


def test_coordinator_cannot_create_in_another_city(coordinator_client, other_city):
    response = coordinator_client.post(
        URL, {"city": str(other_city.id), "name": "Sneaky", "kind": "gym"}, format="json"
    )
    assert response.status_code == 400
    assert "city" in response.json()
    assert not Shelter.objects.filter(name="Sneaky").exists()


@pytest.mark.parametrize("role", [Role.VOLUNTEER, Role.SHELTER_MANAGER])
def test_volunteer_and_manager_cannot_create(role, city, shelter):
    user = factories.member(role, cities=[city], shelters=[shelter])
    response = client_for(user).post(
        URL, {"city": str(city.id), "name": "Nope", "kind": "gym"}, format="json"
    )
    assert response.status_code == 403
    assert not Shelter.objects.filter(name="Nope").exists()


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"name": "", "kind": "gym"}, "name"),
        ({"name": "x" * 201, "kind": "gym"}, "name"),
        ({"name": "A", "kind": "castle"}, "kind"),
        ({"name": "A", "kind": "gym", "status": "ruined"}, "status"),
        ({"name": "A", "kind": "gym", "latitude": 91}, "latitude"),
        ({"name": "A", "kind": "gym", "longitude": -181}, "longitude"),
        ({"name": "A", "kind": "gym", "latitude": "north"}, "latitude"),
        ({"name": "A", "kind": "gym", "notes": "n" * 2001}, "notes"),
        ({"name": "A\x00B", "kind": "gym"}, "name"),
        ({"kind": "gym"}, "name"),
    ],
)
def test_bad_shelter_input_is_a_field_error_and_creates_nothing(
    coordinator_client, city, payload, field
):
    response = coordinator_client.post(URL, {"city": str(city.id), **payload}, format="json")
    assert response.status_code == 400
    assert field in response.json()
    assert not Shelter.objects.exists()


@pytest.mark.parametrize("body", ["[]", '"shelter"', "{not json", "null"])
def test_malformed_bodies_answer_400(coordinator_client, body):
    response = coordinator_client.post(URL, body, content_type="application/json")
    assert response.status_code == 400
    assert not Shelter.objects.exists()


# --- update ---


def test_manager_edits_own_shelter_only(manager_client, shelter, city):
    neighbour = factories.ShelterFactory(city=city, name="Neighbour")

    response = manager_client.patch(detail(shelter), {"notes": "Door code 42"}, format="json")
    assert response.status_code == 200
    assert response.json()["notes"] == "Door code 42"
    assert response["ETag"] == '"2"'

    response = manager_client.patch(detail(neighbour), {"notes": "Mine now"}, format="json")
    assert response.status_code == 404
    neighbour.refresh_from_db()
    assert neighbour.notes == ""
    assert neighbour.version == 1


def test_volunteer_cannot_edit_a_shelter(volunteer_client, shelter):
    response = volunteer_client.patch(detail(shelter), {"name": "Renamed"}, format="json")
    assert response.status_code == 403
    shelter.refresh_from_db()
    assert shelter.name == "Cinema Park"


def test_coordinator_cannot_edit_another_citys_shelter(coordinator_client, other_shelter):
    response = coordinator_client.patch(detail(other_shelter), {"name": "Mine"}, format="json")
    assert response.status_code == 404
    other_shelter.refresh_from_db()
    assert other_shelter.name == "Far Gym"


def test_a_status_reason_belongs_to_its_status(coordinator_client, shelter):
    def patch(data: dict) -> str:
        response = coordinator_client.patch(detail(shelter), data, format="json")
        assert response.status_code == 200, response.content
        return response.json()["status_reason"]

    assert patch({"status": "closed", "status_reason": "No heating"}) == "No heating"
    assert patch({"name": "Cinema"}) == "No heating"  # the status stays: so does why
    assert patch({"status": "open"}) == ""  # reopened without a word: the old one goes
    assert patch({"status": "closed", "status_reason": "Burst pipe"}) == "Burst pipe"
    assert patch({"status": "open", "status_reason": "Pipe fixed"}) == "Pipe fixed"


def test_closing_a_shelter_keeps_its_counters(coordinator_client, shelter, space):
    set_counters(space, held=2, occupied=3)

    response = coordinator_client.patch(detail(shelter), {"status": "closed"}, format="json")

    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "closed"
    assert (body["beds_total"], body["beds_occupied"], body["beds_held"], body["beds_free"]) == (
        10,
        3,
        2,
        5,
    )
    space.refresh_from_db()
    assert (space.beds, space.beds_occupied, space.beds_held) == (10, 3, 2)
    shelter.refresh_from_db()
    assert shelter.status == ShelterStatus.CLOSED


def test_bed_counts_and_version_are_read_only(coordinator_client, shelter, space):
    response = coordinator_client.patch(
        detail(shelter),
        {
            "name": "Cinema Park (renamed)",
            "beds_total": 999,
            "beds_occupied": 500,
            "beds_held": 400,
            "beds_free": 99,
            "version": 77,
        },
        format="json",
    )

    assert response.status_code == 200
    body = response.json()
    assert body["name"] == "Cinema Park (renamed)"
    assert (body["beds_total"], body["beds_occupied"], body["beds_held"]) == (10, 0, 0)
    assert body["version"] == 2
    space.refresh_from_db()
    assert (space.beds, space.beds_occupied, space.beds_held, space.version) == (10, 0, 0, 1)


def test_city_cannot_be_changed_but_may_be_sent_back_unchanged(
    coordinator_client, manager_client, shelter, other_city
):
    moved = coordinator_client.patch(detail(shelter), {"city": str(other_city.id)}, format="json")
    assert moved.status_code == 400
    assert "city" in moved.json()
    shelter.refresh_from_db()
    assert shelter.city_id != other_city.id

    # A manager echoing the object it read (with its city) is not refused.
    echoed = manager_client.get(detail(shelter)).json()
    echoed["notes"] = "Echoed"
    response = manager_client.patch(detail(shelter), echoed, format="json")
    assert response.status_code == 200, response.content
    shelter.refresh_from_db()
    assert shelter.notes == "Echoed"


def test_shelter_if_match(coordinator_client, shelter):
    stale = coordinator_client.patch(
        detail(shelter), {"name": "Stale"}, format="json", HTTP_IF_MATCH='"7"'
    )
    assert stale.status_code == 412
    shelter.refresh_from_db()
    assert (shelter.name, shelter.version) == ("Cinema Park", 1)

    fresh = coordinator_client.patch(
        detail(shelter), {"name": "Fresh"}, format="json", HTTP_IF_MATCH='"1"'
    )
    assert fresh.status_code == 200
    assert fresh["ETag"] == '"2"'
    shelter.refresh_from_db()
    assert (shelter.name, shelter.version) == ("Fresh", 2)


def test_a_delete_with_a_stale_if_match_changes_nothing(coordinator_client, city):
    shelter = factories.ShelterFactory(city=city)
    space = factories.SpaceFactory(shelter=shelter, beds=3)
    coordinator_client.patch(f"/api/v1/spaces/{space.id}/", {"beds": 4}, format="json")
    for url, stale, current in (
        (f"/api/v1/spaces/{space.id}/", '"1"', '"2"'),
        (detail(shelter), '"2"', '"1"'),
    ):
        assert coordinator_client.delete(url, HTTP_IF_MATCH=stale).status_code == 412
        assert coordinator_client.get(url).status_code == 200
        assert coordinator_client.delete(url, HTTP_IF_MATCH=current).status_code == 204
        assert coordinator_client.get(url).status_code == 404


def test_bad_update_changes_nothing(coordinator_client, shelter):
    response = coordinator_client.patch(
        detail(shelter), {"latitude": 100, "name": "Changed"}, format="json"
    )
    assert response.status_code == 400
    assert "latitude" in response.json()
    shelter.refresh_from_db()
    assert (shelter.name, shelter.version) == ("Cinema Park", 1)


def test_put_is_not_offered(coordinator_client, shelter):
    response = coordinator_client.put(detail(shelter), {"name": "Put"}, format="json")
    assert response.status_code == 405


# --- delete ---


def test_coordinator_deletes_an_unused_shelter_with_its_spaces(coordinator_client, shelter, space):
    response = coordinator_client.delete(detail(shelter))
    assert response.status_code == 204
    assert not Shelter.objects.filter(id=shelter.id).exists()
    assert not Space.objects.filter(id=space.id).exists()


def test_a_shelter_with_people_in_it_is_not_deleted(coordinator_client, shelter, space):
    set_counters(space, occupied=1)
    response = coordinator_client.delete(detail(shelter))
    assert response.status_code == 409
    assert response.json()["code"] == "space_in_use"
    assert "close it instead" in response.json()["detail"]  # the shelter's advice
    assert Shelter.objects.filter(id=shelter.id).exists()
    assert Space.objects.filter(id=space.id).exists()


def test_manager_and_other_coordinator_cannot_delete(
    manager_client, other_coordinator_client, shelter
):
    assert manager_client.delete(detail(shelter)).status_code == 403
    assert other_coordinator_client.delete(detail(shelter)).status_code == 404
    assert Shelter.objects.filter(id=shelter.id).exists()


@pytest.mark.parametrize("phone", ["abc", "+7 701\n555 12 34", "12"])
def test_a_shelter_s_phone_is_checked_as_every_phone(coordinator_client, shelter, phone):
    answer = coordinator_client.patch(
        f"{URL}{shelter.id}/", {"contact_phone": phone}, format="json"
    )
    assert answer.status_code == 400
    assert set(answer.json()) == {"contact_phone"}
    shelter.refresh_from_db()
    assert shelter.contact_phone != phone
    taken = coordinator_client.patch(f"{URL}{shelter.id}/", {"contact_phone": ""}, format="json")
    assert taken.status_code == 200  # no phone at all is fine


@pytest.mark.parametrize(
    ("sent", "kept"),
    [(51.2333789, 51.233379), ("51.36666667", 51.366667), (-0.00000004, 0.0)],
)
def test_coordinates_with_more_decimals_are_rounded_to_six(coordinator_client, city, sent, kept):
    # As map apps give them: about 10 cm is kept, not a refusal.
    shelter = factories.ShelterFactory(city=city)
    response = coordinator_client.patch(
        f"/api/v1/shelters/{shelter.id}/", {"latitude": sent}, format="json"
    )
    assert response.status_code == 200, response.content
    assert response.json()["latitude"] == kept
    shelter.refresh_from_db()
    assert float(shelter.latitude) == kept
