"""/api/v1/members/ and /members/me/: coordinators make people in their cities."""

import pytest
from django.contrib.auth import get_user_model

from accounts.models import Membership, Role
from accounts.services import member_create
from tests import factories
from tests.conftest import client_for

pytestmark = pytest.mark.django_db

URL = "/api/v1/members/"
GOOD_PASSWORD = "quiet-river-lantern-84"
User = get_user_model()


@pytest.fixture
def shelter(city):
    return factories.ShelterFactory(city=city)


def create(client, **payload):
    return client.post(URL, payload, format="json")


def test_coordinator_creates_a_volunteer_who_can_then_sign_in(coordinator_client, city, anonymous):
    response = create(
        coordinator_client,
        username="dana",
        password=GOOD_PASSWORD,
        role="volunteer",
        cities=[str(city.id)],
    )

    assert response.status_code == 201, response.content
    body = response.json()
    assert body["username"] == "dana"
    assert body["role"] == "volunteer"
    assert body["cities"] == [str(city.id)]
    assert body["shelters"] == []
    assert body["is_superuser"] is False
    assert "password" not in body
    membership = Membership.objects.get(id=body["id"])
    assert membership.user.username == "dana"
    assert membership.role == Role.VOLUNTEER
    assert list(membership.cities.all()) == [city]
    assert membership.user.check_password(GOOD_PASSWORD)
    assert membership.user.is_staff is False  # volunteers have no back office

    token = anonymous.post(
        "/api/v1/auth/token/", {"username": "dana", "password": GOOD_PASSWORD}, format="json"
    )
    assert token.status_code == 200
    assert token.json()["token"]


def test_coordinator_creates_a_shelter_manager_with_back_office_access(coordinator_client, shelter):
    response = create(
        coordinator_client,
        username="manager1",
        password=GOOD_PASSWORD,
        role="shelter_manager",
        shelters=[str(shelter.id)],
    )
    assert response.status_code == 201, response.content
    assert response.json()["shelters"] == [str(shelter.id)]
    user = User.objects.get(username="manager1")
    assert user.membership.role == Role.SHELTER_MANAGER
    assert list(user.membership.shelters.all()) == [shelter]
    assert user.is_staff is True
    assert user.is_superuser is False


def test_member_create_makes_coordinators_and_managers_staff(city, shelter):
    coordinator = member_create(
        username="c1", password=GOOD_PASSWORD, role=Role.COORDINATOR, cities=[city]
    )
    volunteer = member_create(
        username="v1", password=GOOD_PASSWORD, role=Role.VOLUNTEER, cities=[city]
    )
    assert coordinator.user.is_staff is True
    assert volunteer.user.is_staff is False


def test_cities_or_shelters_of_another_city_answer_400(coordinator_client, other_city):
    elsewhere = factories.ShelterFactory(city=other_city)
    response = create(
        coordinator_client,
        username="dana",
        password=GOOD_PASSWORD,
        role="volunteer",
        cities=[str(other_city.id)],
    )
    assert response.status_code == 400
    assert "cities" in response.json()

    response = create(
        coordinator_client,
        username="dana",
        password=GOOD_PASSWORD,
        role="shelter_manager",
        shelters=[str(elsewhere.id)],
    )
    assert response.status_code == 400
    assert "shelters" in response.json()
    assert not User.objects.filter(username="dana").exists()


@pytest.mark.parametrize("role", [Role.VOLUNTEER, Role.SHELTER_MANAGER])
def test_volunteers_and_managers_may_not_create_members(city, shelter, role):
    user = factories.member(role, cities=[city], shelters=[shelter])
    response = create(
        client_for(user),
        username="dana",
        password=GOOD_PASSWORD,
        role="volunteer",
        cities=[str(city.id)],
    )
    assert response.status_code == 403
    assert not User.objects.filter(username="dana").exists()


@pytest.mark.parametrize("password", ["123", "password", "12345678901", "dana-dana", "short1"])
def test_a_weak_password_is_a_field_error(coordinator_client, city, password):
    response = create(
        coordinator_client,
        username="dana-dana",
        password=password,
        role="volunteer",
        cities=[str(city.id)],
    )
    assert response.status_code == 400
    assert set(response.json()) == {"password"}
    assert response.json()["password"]
    assert not User.objects.filter(username="dana-dana").exists()
    assert not Membership.objects.filter(user__username="dana-dana").exists()


@pytest.mark.parametrize("username", ["dana", "DANA"])
def test_a_taken_username_is_a_field_error(coordinator_client, city, username):
    factories.UserFactory(username="dana")
    response = create(
        coordinator_client,
        username=username,
        password=GOOD_PASSWORD,
        role="volunteer",
        cities=[str(city.id)],
    )
    assert response.status_code == 400
    assert set(response.json()) == {"username"}
    assert User.objects.filter(username__iexact="dana").count() == 1


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"cities": []}, "cities"),
        ({"role": "shelter_manager", "shelters": []}, "shelters"),
        ({"role": "admin"}, "role"),
        ({"role": None}, "role"),
        ({"username": "bad name!"}, "username"),
        ({"username": ""}, "username"),
        ({"username": "x" * 151}, "username"),
        ({"username": "a\x00b"}, "username"),
        ({"cities": ["not-a-uuid"]}, "cities"),
        ({"cities": "one"}, "cities"),
        ({"password": ""}, "password"),
        ({"password": "p" * 129}, "password"),
    ],
)
def test_bad_member_input_is_a_field_error(coordinator_client, city, payload, field):
    data = {
        "username": "dana",
        "password": GOOD_PASSWORD,
        "role": "volunteer",
        "cities": [str(city.id)],
        **payload,
    }
    response = coordinator_client.post(URL, data, format="json")
    assert response.status_code == 400
    assert field in response.json()
    assert User.objects.count() == 1  # only the coordinator


def test_coordinator_lists_and_reads_members_of_own_cities_only(
    coordinator_client, coordinator, city, other_city, shelter
):
    volunteer = factories.member(Role.VOLUNTEER, cities=[city], username="v-here")
    manager = factories.member(Role.SHELTER_MANAGER, shelters=[shelter], username="m-here")
    stranger = factories.member(Role.VOLUNTEER, cities=[other_city], username="v-far")

    body = coordinator_client.get(URL).json()
    assert set(body) == {"count", "next", "previous", "results"}
    assert {row["username"] for row in body["results"]} == {
        coordinator.username,
        "v-here",
        "m-here",
    }
    assert all("password" not in row for row in body["results"])

    here = coordinator_client.get(f"{URL}{volunteer.membership.id}/")
    assert here.status_code == 200
    assert here.json()["username"] == "v-here"
    assert coordinator_client.get(f"{URL}{manager.membership.id}/").status_code == 200
    far = coordinator_client.get(f"{URL}{stranger.membership.id}/")
    assert far.status_code == 404
    assert "v-far" not in far.content.decode()


def test_volunteers_may_not_list_members(volunteer_client):
    assert volunteer_client.get(URL).status_code == 403


def test_me_for_each_role(city, shelter, coordinator_client, superuser_client):
    volunteer = factories.member(Role.VOLUNTEER, cities=[city])
    manager = factories.member(Role.SHELTER_MANAGER, shelters=[shelter])

    me = coordinator_client.get(f"{URL}me/").json()
    assert me["role"] == "coordinator"
    assert me["cities"] == [str(city.id)]

    me = client_for(volunteer).get(f"{URL}me/").json()
    assert (me["username"], me["role"], me["is_superuser"]) == (
        volunteer.username,
        "volunteer",
        False,
    )
    assert me["id"] == str(volunteer.membership.id)
    assert me["cities"] == [str(city.id)]
    assert me["shelters"] == []

    me = client_for(manager).get(f"{URL}me/").json()
    assert me["role"] == "shelter_manager"
    assert me["shelters"] == [str(shelter.id)]
    assert me["cities"] == [str(city.id)]  # the city of the shelters

    me = superuser_client.get(f"{URL}me/").json()
    assert me["is_superuser"] is True
    assert me["id"] is None


def test_members_cannot_be_changed_or_deleted_through_the_api(coordinator_client, city):
    volunteer = factories.member(Role.VOLUNTEER, cities=[city])
    url = f"{URL}{volunteer.membership.id}/"
    assert coordinator_client.patch(url, {"role": "coordinator"}, format="json").status_code == 405
    assert coordinator_client.delete(url).status_code == 405
    volunteer.membership.refresh_from_db()
    assert volunteer.membership.role == Role.VOLUNTEER


@pytest.mark.parametrize("role", ["volunteer", "coordinator"])
def test_only_a_shelter_manager_is_given_shelters(coordinator_client, city, shelter, role):
    data = {
        "username": "dana",
        "password": GOOD_PASSWORD,
        "role": role,
        "cities": [str(city.id)],
        "shelters": [str(shelter.id)],
    }
    response = coordinator_client.post(URL, data, format="json")
    assert response.status_code == 400
    assert response.json() == {"shelters": ["Only a shelter manager is given shelters."]}
    assert User.objects.count() == 1  # only the coordinator
