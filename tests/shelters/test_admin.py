"""The back office (Django admin) is scoped like the API and writes through the services."""

import pytest
from django.contrib.messages import get_messages
from django.forms import ModelForm
from django.test import Client
from django.utils import timezone

from accounts.models import Role
from meals.models import MealService
from shelters.admin import SpaceForm
from shelters.models import City, Shelter, ShelterStatus, Space
from tests import factories

from .helpers import set_counters

pytestmark = pytest.mark.django_db

SHELTERS = "/admin/shelters/shelter/"
SPACES = "/admin/shelters/space/"
CITIES = "/admin/shelters/city/"


def login(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def listed(response) -> set[str]:
    assert response.status_code == 200
    return {str(obj) for obj in response.context["cl"].result_list}


def messages_of(response) -> list[str]:
    return [str(message) for message in get_messages(response.wsgi_request)]


@pytest.fixture
def coordinator(city):
    return factories.member(Role.COORDINATOR, cities=[city], is_staff=True)


@pytest.fixture
def manager(shelter):
    return factories.member(Role.SHELTER_MANAGER, shelters=[shelter], is_staff=True)


@pytest.fixture
def neighbour(city):
    """Another shelter in the manager's city, managed by someone else."""
    shelter = factories.ShelterFactory(city=city, name="Neighbour School")
    factories.SpaceFactory(shelter=shelter, name="Neighbour Hall")
    return shelter


def space_form(space, **changes) -> dict:
    data = {
        "name": space.name,
        "beds": space.beds,
        "admits": space.admits,
        "expected_version": space.version,
        "_save": "Save",
    }
    if space.wheelchair_accessible:
        data["wheelchair_accessible"] = "on"
    data.update(changes)
    return data


def shelter_form(shelter, **changes) -> dict:
    data = {
        "name": shelter.name,
        "kind": shelter.kind,
        "address": shelter.address,
        "latitude": "",
        "longitude": "",
        "status": shelter.status,
        "contact_phone": shelter.contact_phone,
        "notes": shelter.notes,
        "expected_version": shelter.version,
        "_save": "Save",
    }
    data.update(changes)
    return data


# --- who sees what ---


def test_coordinator_sees_only_the_shelters_and_spaces_of_own_cities(
    coordinator, shelter, space, neighbour, other_shelter, other_space
):
    client = login(coordinator)
    assert listed(client.get(SHELTERS)) == {"Cinema Park", "Neighbour School"}
    assert listed(client.get(SPACES)) == {
        "Cinema Park / Auditorium 1",
        "Neighbour School / Neighbour Hall",
    }
    assert listed(client.get(CITIES)) == {shelter.city.name}

    for url in (f"{SHELTERS}{other_shelter.pk}/change/", f"{SPACES}{other_space.pk}/change/"):
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"] == "/admin/"
        assert "Far" not in response.content.decode()
    assert client.get(f"{SHELTERS}{shelter.pk}/change/").status_code == 200


def test_the_city_filter_offers_only_own_cities(coordinator, shelter, other_shelter):
    page = login(coordinator).get(SHELTERS).content.decode()
    assert shelter.city.name in page
    assert other_shelter.city.name not in page


def test_manager_sees_only_own_shelter(manager, shelter, space, neighbour):
    client = login(manager)
    assert listed(client.get(SHELTERS)) == {"Cinema Park"}
    assert listed(client.get(SPACES)) == {"Cinema Park / Auditorium 1"}
    assert client.get(f"{SHELTERS}{neighbour.pk}/change/").status_code == 302
    assert client.get(f"{SHELTERS}{shelter.pk}/change/").status_code == 200
    # a manager neither opens nor deletes shelters
    assert client.get(f"{SHELTERS}add/").status_code == 403
    assert client.post(f"{SHELTERS}{shelter.pk}/delete/", {"post": "yes"}).status_code == 403
    assert Shelter.objects.filter(pk=shelter.pk).exists()


def test_people_without_a_staff_role_are_kept_out(city, shelter):
    volunteer = factories.member(Role.VOLUNTEER, cities=[city])  # not staff
    response = login(volunteer).get(SHELTERS)
    assert response.status_code == 302
    assert response["Location"].startswith("/admin/login/")

    # staff without a role (set by hand) see no Berth page
    stray = factories.UserFactory(is_staff=True)
    client = login(stray)
    assert client.get(SHELTERS).status_code == 403
    assert client.get(SPACES).status_code == 403
    assert "Shelters" not in client.get("/admin/").content.decode()


def test_superuser_sees_everything(shelter, other_shelter):
    admin_user = factories.UserFactory(is_superuser=True, is_staff=True)
    assert listed(login(admin_user).get(SHELTERS)) == {"Cinema Park", "Far Gym"}


def test_admin_index_shows_the_apps_a_coordinator_may_use(coordinator):
    page = login(coordinator).get("/admin/").content.decode()
    assert "/admin/shelters/shelter/" in page
    assert "/admin/shelters/space/" in page
    assert "/admin/auth/user/" not in page


# --- spaces: beds through space_update ---


def test_editing_a_space_goes_through_the_service(manager, space):
    response = login(manager).post(f"{SPACES}{space.pk}/change/", space_form(space, beds=14))
    assert response.status_code == 302
    space.refresh_from_db()
    assert (space.beds, space.version) == (14, 2)


def test_counters_cannot_be_set_in_the_admin(manager, space):
    set_counters(space, held=1, occupied=2)
    client = login(manager)
    page = client.get(f"{SPACES}{space.pk}/change/").content.decode()
    assert 'name="beds_occupied"' not in page
    assert 'name="beds_held"' not in page
    assert 'name="beds"' in page

    data = space_form(space, beds=11, beds_occupied=0, beds_held=0, version=99)
    assert client.post(f"{SPACES}{space.pk}/change/", data).status_code == 302
    space.refresh_from_db()
    assert (space.beds, space.beds_occupied, space.beds_held, space.version) == (11, 2, 1, 2)


def test_beds_below_occupancy_are_refused_on_the_form(manager, space):
    set_counters(space, held=3, occupied=4)

    response = login(manager).post(f"{SPACES}{space.pk}/change/", space_form(space, beds=5))

    assert response.status_code == 200
    errors = response.context["adminform"].form.errors
    assert "beds" in errors
    assert "Beds occupied: 4, held: 3" in errors["beds"][0]
    space.refresh_from_db()
    assert (space.beds, space.beds_occupied, space.beds_held, space.version) == (10, 4, 3, 1)


def test_a_stale_form_is_refused(manager, space):
    client = login(manager)
    stale = space_form(space, beds=20)
    assert client.post(f"{SPACES}{space.pk}/change/", space_form(space, beds=12)).status_code == 302

    response = client.post(f"{SPACES}{space.pk}/change/", stale)

    assert response.status_code == 200
    assert "changed by someone else" in str(response.context["adminform"].form.non_field_errors())
    space.refresh_from_db()
    assert (space.beds, space.version) == (12, 2)


def test_a_refusal_found_only_under_the_lock_is_a_message_not_a_500(manager, space, monkeypatch):
    """Someone placed people between the form's check and the save: the service refuses."""
    set_counters(space, occupied=8)
    monkeypatch.setattr(SpaceForm, "clean", ModelForm.clean)  # the form's early check skipped

    response = login(manager).post(f"{SPACES}{space.pk}/change/", space_form(space, beds=2))

    assert response.status_code == 302
    assert response["Location"] == f"{SPACES}{space.pk}/change/"
    assert any("beds cannot go below 8" in text for text in messages_of(response))
    space.refresh_from_db()
    assert (space.beds, space.beds_occupied, space.version) == (10, 8, 1)


def test_manager_adds_a_space_to_own_shelter_only(manager, shelter, neighbour):
    client = login(manager)
    data = {"name": "Auditorium 2", "beds": 50, "admits": "anyone", "_save": "Save"}

    response = client.post(f"{SPACES}add/", {**data, "shelter": shelter.pk})
    assert response.status_code == 302
    added = Space.objects.get(shelter=shelter, name="Auditorium 2")
    assert (added.beds, added.version, added.beds_held) == (50, 1, 0)

    response = client.post(f"{SPACES}add/", {**data, "shelter": neighbour.pk})
    assert response.status_code == 200
    assert "shelter" in response.context["adminform"].form.errors
    assert not Space.objects.filter(shelter=neighbour, name="Auditorium 2").exists()


def test_a_space_cannot_be_moved_to_another_shelter(coordinator, space, neighbour):
    data = space_form(space, shelter=neighbour.pk, beds=9)
    assert login(coordinator).post(f"{SPACES}{space.pk}/change/", data).status_code == 302
    space.refresh_from_db()
    assert (space.shelter_id, space.beds) == (space.shelter.pk, 9)
    assert space.shelter.name == "Cinema Park"


def test_a_space_in_use_is_not_deleted(manager, shelter, space):
    used = factories.SpaceFactory(shelter=shelter, name="Used")
    set_counters(used, held=2)
    client = login(manager)

    response = client.post(f"{SPACES}{used.pk}/delete/", {"post": "yes"})
    assert response.status_code == 302
    assert any("set its beds to 0" in text for text in messages_of(response))
    assert Space.objects.filter(pk=used.pk).exists()

    response = client.post(f"{SPACES}{space.pk}/delete/", {"post": "yes"})
    assert response.status_code == 302
    assert not Space.objects.filter(pk=space.pk).exists()


def test_bulk_delete_is_not_offered(coordinator, space):
    response = login(coordinator).get(SPACES)
    assert "delete_selected" not in response.content.decode()


# --- shelters ---


def test_coordinator_opens_a_shelter_in_own_city_only(coordinator, city, other_city):
    client = login(coordinator)
    data = {"name": "Dormitory", "kind": "dormitory", "status": "open", "_save": "Save"}

    response = client.post(f"{SHELTERS}add/", {**data, "city": city.pk})
    assert response.status_code == 302
    shelter = Shelter.objects.get(name="Dormitory")
    assert (shelter.city_id, shelter.version) == (city.pk, 1)

    response = client.post(f"{SHELTERS}add/", {**data, "name": "Elsewhere", "city": other_city.pk})
    assert response.status_code == 200
    assert "city" in response.context["adminform"].form.errors
    assert not Shelter.objects.filter(name="Elsewhere").exists()


def test_closing_a_shelter_in_the_admin_keeps_its_counters(coordinator, shelter, space):
    set_counters(space, held=1, occupied=6)
    client = login(coordinator)
    page = client.get(f"{SHELTERS}{shelter.pk}/change/").content.decode()
    assert "10 beds: 6 occupied, 1 held, 3 free" in page
    assert f"{SPACES}{space.pk}/change/" in page

    data = shelter_form(shelter, status="closed")
    response = client.post(f"{SHELTERS}{shelter.pk}/change/", data)

    assert response.status_code == 302
    shelter.refresh_from_db()
    assert (shelter.status, shelter.version) == (ShelterStatus.CLOSED, 2)
    space.refresh_from_db()
    assert (space.beds, space.beds_occupied, space.beds_held) == (10, 6, 1)


def test_a_stale_shelter_form_is_refused(coordinator, shelter):
    client = login(coordinator)
    stale = shelter_form(shelter, notes="Old tab")
    client.post(f"{SHELTERS}{shelter.pk}/change/", shelter_form(shelter, notes="New"))

    response = client.post(f"{SHELTERS}{shelter.pk}/change/", stale)

    assert response.status_code == 200
    shelter.refresh_from_db()
    assert (shelter.notes, shelter.version) == ("New", 2)


def test_shelters_list_shows_bed_totals(coordinator, shelter, space):
    set_counters(space, occupied=4)
    response = login(coordinator).get(SHELTERS)
    row = response.context["cl"].result_list[0]
    assert (row.beds_total, row.beds_free) == (10, 6)


# --- cities ---


def test_only_a_superuser_changes_cities(coordinator, city):
    client = login(coordinator)
    assert client.get(f"{CITIES}{city.pk}/change/").status_code == 200  # view only
    assert client.get(f"{CITIES}add/").status_code == 403
    response = client.post(
        f"{CITIES}{city.pk}/change/", {"name": "Renamed", "timezone": "UTC", "_save": "Save"}
    )
    assert response.status_code == 403
    city.refresh_from_db()
    assert city.name != "Renamed"

    admin_user = factories.UserFactory(is_superuser=True, is_staff=True)
    admin_client = login(admin_user)
    response = admin_client.post(
        f"{CITIES}add/", {"name": "Aktobe", "timezone": "Asia/Aqtobe", "_save": "Save"}
    )
    assert response.status_code == 302
    assert City.objects.filter(name="Aktobe", timezone="Asia/Aqtobe").exists()
    response = admin_client.post(
        f"{CITIES}add/", {"name": "Nowhere", "timezone": "Mars/Olympus", "_save": "Save"}
    )
    assert response.status_code == 200
    assert not City.objects.filter(name="Nowhere").exists()


def test_deleting_asks_the_service_not_djangos_collector(coordinator, city):
    from arrivals.models import Placement, PlacementStatus

    # A shelter whose spaces were never used goes, spaces and all (Django's check
    # refused it for having spaces).
    unused = factories.ShelterFactory(city=city)
    factories.SpaceFactory(shelter=unused, beds=3)
    client = login(coordinator)
    page = client.get(f"{SHELTERS}{unused.pk}/delete/").content.decode()
    assert "permission" not in page and "protected" not in page
    assert client.post(f"{SHELTERS}{unused.pk}/delete/", {"post": "yes"}).status_code == 302
    assert not Shelter.objects.filter(pk=unused.pk).exists()
    # A space people were placed in: the service's advice, not "no permission".
    used = factories.SpaceFactory(shelter=factories.ShelterFactory(city=city), beds=3)
    Placement.objects.create(
        party=factories.PartyFactory(city=city),
        space=used,
        beds=1,
        status=PlacementStatus.CANCELLED,
        created_by="matcher",
    )
    page = client.get(f"{SPACES}{used.pk}/delete/").content.decode()
    assert "permission" not in page
    response = client.post(f"{SPACES}{used.pk}/delete/", {"post": "yes"})
    assert response.status_code == 302
    assert any("set its beds to 0" in text for text in messages_of(response))
    assert Space.objects.filter(pk=used.pk).exists()


def test_a_shelter_with_meals_is_refused_with_a_message_not_a_500(coordinator, city):
    shelter = factories.ShelterFactory(city=city)
    factories.SpaceFactory(shelter=shelter, beds=3)
    MealService.objects.create(
        city=city, shelter=shelter, meal="lunch", starts_at=timezone.now(), created_by="test"
    )
    client = login(coordinator)
    response = client.post(f"{SHELTERS}{shelter.pk}/delete/", {"post": "yes"})
    assert response.status_code == 302
    assert any("cannot be deleted" in text for text in messages_of(response))
    assert Shelter.objects.filter(pk=shelter.pk).exists()
    assert shelter.spaces.count() == 1  # rolled back whole
