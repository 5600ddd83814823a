"""/api/v1/api-keys/: made by a coordinator, shown once, scoped, revocable."""

import pytest
from django.core.exceptions import PermissionDenied
from rest_framework.test import APIClient

from accounts.authentication import api_key_digest
from accounts.models import ApiKey, Role
from accounts.services import api_key_create
from tests import factories
from tests.conftest import client_for

pytestmark = pytest.mark.django_db

URL = "/api/v1/api-keys/"


def key_client(key: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Api-Key {key}")
    return client


@pytest.fixture
def made_key(coordinator_client, city):
    def make(scopes, **extra):
        response = coordinator_client.post(
            URL, {"name": "Messenger bot", "scopes": scopes, **extra}, format="json"
        )
        assert response.status_code == 201, response.content
        return response.json()

    return make


def test_the_key_is_shown_once_and_only_its_digest_is_stored(
    coordinator_client, coordinator, city, made_key
):
    body = made_key(["capacity:read", "parties:read"])
    key = body["key"]
    assert len(key) >= 32
    assert body["name"] == "Messenger bot"
    assert body["scopes"] == ["capacity:read", "parties:read"]
    assert body["cities"] == [str(city.id)]  # defaults to the coordinator's cities
    assert body["created_by"] == coordinator.username
    assert body["revoked_at"] is None
    assert key.startswith(body["prefix"])

    stored = ApiKey.objects.get(id=body["id"])
    assert stored.digest == api_key_digest(key)
    assert key not in {stored.digest, stored.prefix, stored.name}

    listed = coordinator_client.get(URL)
    retrieved = coordinator_client.get(f"{URL}{body['id']}/")
    for response in (listed, retrieved):
        assert response.status_code == 200
        assert key not in response.content.decode()
    assert "key" not in retrieved.json()
    assert "key" not in listed.json()["results"][0]
    assert "digest" not in retrieved.json()


def test_a_capacity_key_reads_shelters_and_capacity_but_registers_nobody(
    made_key, city, other_city
):
    here = factories.ShelterFactory(city=city)
    factories.SpaceFactory(shelter=here, beds=7)
    factories.ShelterFactory(city=other_city)
    client = key_client(made_key(["capacity:read"])["key"])

    shelters = client.get("/api/v1/shelters/")
    assert shelters.status_code == 200
    assert [row["id"] for row in shelters.json()["results"]] == [str(here.id)]
    assert client.get("/api/v1/spaces/").json()["count"] == 1
    assert client.get("/api/v1/cities/").json()["count"] == 1
    capacity = client.get("/api/v1/capacity/", {"city": str(city.id)})
    assert capacity.status_code == 200
    assert capacity.json()["beds_total"] == 7
    assert client.get("/api/v1/capacity/", {"city": str(other_city.id)}).status_code == 404

    party = {
        "city": str(city.id),
        "consent": True,
        "members": [{"given_name": "Alex"}],
    }
    response = client.post("/api/v1/parties/", party, format="json")
    assert response.status_code == 403
    from arrivals.models import Party

    assert not Party.objects.exists()
    assert client.get("/api/v1/parties/").status_code == 403


def test_a_key_may_not_do_what_no_scope_grants(made_key, city):
    client = key_client(made_key(["capacity:read", "parties:write", "parties:read"])["key"])
    here = factories.ShelterFactory(city=city)
    assert client.get("/api/v1/members/me/").status_code == 403
    assert client.get("/api/v1/members/").status_code == 403
    assert client.post(
        URL, {"name": "k", "scopes": ["capacity:read"]}, format="json"
    ).status_code == (403)
    assert (
        client.patch(f"/api/v1/shelters/{here.id}/", {"name": "x"}, format="json").status_code
        == 403
    )
    assert ApiKey.objects.count() == 1


def test_a_revoked_key_answers_401(coordinator_client, made_key):
    body = made_key(["capacity:read"])
    client = key_client(body["key"])
    assert client.get("/api/v1/cities/").status_code == 200

    response = coordinator_client.post(f"{URL}{body['id']}/revoke/")
    assert response.status_code == 200
    assert response.json()["revoked_at"] is not None
    assert ApiKey.objects.get(id=body["id"]).revoked_at is not None

    assert client.get("/api/v1/cities/").status_code == 401
    # revoking twice keeps the first time
    first = ApiKey.objects.get(id=body["id"]).revoked_at
    coordinator_client.post(f"{URL}{body['id']}/revoke/")
    assert ApiKey.objects.get(id=body["id"]).revoked_at == first


def test_a_wrong_key_with_a_right_prefix_answers_401(made_key):
    key = made_key(["capacity:read"])["key"]
    forged = key[:8] + ("A" if key[8] != "A" else "B") + key[9:]
    assert key_client(forged).get("/api/v1/cities/").status_code == 401
    assert key_client("x" * 43).get("/api/v1/cities/").status_code == 401


def test_a_key_outlives_neither_its_makers_role_nor_cities(coordinator, made_key, city):
    client = key_client(made_key(["capacity:read"])["key"])
    assert client.get(f"/api/v1/capacity/?city={city.id}").status_code == 200
    coordinator.membership.cities.clear()
    assert client.get(f"/api/v1/capacity/?city={city.id}").status_code == 404
    assert client.get("/api/v1/cities/").json()["count"] == 0
    coordinator.membership.cities.add(city)
    coordinator.membership.role = Role.VOLUNTEER
    coordinator.membership.save()
    assert client.get(f"/api/v1/capacity/?city={city.id}").status_code == 404


def test_the_key_of_a_deactivated_coordinator_answers_401(coordinator, made_key):
    client = key_client(made_key(["capacity:read"])["key"])
    coordinator.is_active = False
    coordinator.save()
    assert client.get("/api/v1/cities/").status_code == 401


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"name": "k", "scopes": []}, "scopes"),
        ({"name": "k", "scopes": ["everything"]}, "scopes"),
        ({"name": "k", "scopes": "capacity:read"}, "scopes"),
        ({"name": "k"}, "scopes"),
        ({"scopes": ["capacity:read"]}, "name"),
        ({"name": "k" * 101, "scopes": ["capacity:read"]}, "name"),
    ],
)
def test_bad_key_input_is_a_field_error(coordinator_client, payload, field):
    response = coordinator_client.post(URL, payload, format="json")
    assert response.status_code == 400
    assert field in response.json()
    assert not ApiKey.objects.exists()


def test_a_key_for_another_city_is_refused(coordinator_client, other_city):
    response = coordinator_client.post(
        URL,
        {"name": "k", "scopes": ["capacity:read"], "cities": [str(other_city.id)]},
        format="json",
    )
    assert response.status_code == 400
    assert "cities" in response.json()
    assert not ApiKey.objects.exists()


@pytest.mark.parametrize("role", [Role.VOLUNTEER, Role.SHELTER_MANAGER])
def test_only_coordinators_make_keys(city, role):
    shelter = factories.ShelterFactory(city=city)
    client = client_for(factories.member(role, cities=[city], shelters=[shelter]))
    response = client.post(URL, {"name": "k", "scopes": ["capacity:read"]}, format="json")
    assert response.status_code == 403
    assert client.get(URL).status_code == 403
    assert not ApiKey.objects.exists()


def test_another_citys_coordinator_neither_sees_nor_revokes_a_key(
    made_key, other_coordinator_client
):
    body = made_key(["capacity:read"])
    assert other_coordinator_client.get(URL).json()["count"] == 0
    assert other_coordinator_client.get(f"{URL}{body['id']}/").status_code == 404
    assert other_coordinator_client.post(f"{URL}{body['id']}/revoke/").status_code == 404
    assert ApiKey.objects.get(id=body["id"]).revoked_at is None


def test_each_key_has_its_own_request_rate(settings, coordinator_client, made_key):
    first = key_client(made_key(["capacity:read"])["key"])
    second = key_client(made_key(["capacity:read"])["key"])
    rates = {**settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"], "read.key": "3/min"}
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": rates}

    for _ in range(3):
        assert first.get("/api/v1/cities/").status_code == 200
    throttled = first.get("/api/v1/cities/")
    assert throttled.status_code == 429
    assert int(throttled["Retry-After"]) > 0

    # neither the coordinator's other key nor the coordinator (2 requests so far) is held back
    assert second.get("/api/v1/cities/").status_code == 200
    assert coordinator_client.get("/api/v1/cities/").status_code == 200


# --- the service decides a key's cities ------------------------------------------


def test_a_new_keys_default_cities_are_its_makers(coordinator, city, other_city):
    coordinator.membership.cities.add(other_city)
    factories.CityFactory()  # not theirs
    api_key, _key = api_key_create(name="bot", scopes=["capacity:read"], created_by=coordinator)
    assert set(api_key.cities.all()) == {city, other_city}


def test_the_service_refuses_a_city_its_maker_does_not_coordinate(coordinator, other_city):
    with pytest.raises(PermissionDenied):
        api_key_create(
            name="bot", scopes=["capacity:read"], cities=[other_city], created_by=coordinator
        )
    assert not ApiKey.objects.exists()


@pytest.mark.parametrize("role", [Role.VOLUNTEER, Role.SHELTER_MANAGER])
def test_the_service_refuses_a_maker_who_is_no_coordinator(role, city):
    shelter = factories.ShelterFactory(city=city)
    maker = factories.member(role, cities=[city], shelters=[shelter])
    with pytest.raises(PermissionDenied):
        api_key_create(name="bot", scopes=["capacity:read"], cities=[city], created_by=maker)
    assert not ApiKey.objects.exists()
