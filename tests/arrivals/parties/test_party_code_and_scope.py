"""The party code, the filters, and who sees which parties."""

import itertools
import re
from datetime import timedelta

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.models import Scope
from accounts.services import api_key_create
from arrivals import services
from arrivals.models import CODE_ALPHABET, Party
from tests import factories
from tests.conftest import client_for

from .conftest import PARTIES, body, party_url

pytestmark = pytest.mark.django_db


def ids(response) -> set[str]:
    assert response.status_code == 200, response.content
    return {party["id"] for party in response.json()["results"]}


def test_code_is_six_unambiguous_characters_and_unique(register):
    codes = [register().code for _ in range(40)]

    assert len(set(codes)) == len(codes)
    for code in codes:
        assert re.fullmatch(r"[23456789ABCDEFGHJKLMNPQRSTUVWXYZ]{6}", code), code
    assert not set("01OI") & set(CODE_ALPHABET)


def test_code_clash_draws_another(monkeypatch, city):
    taken = factories.PartyFactory(city=city, code="ABCDEF")
    drawn = iter(["ABCDEF", "ABCDEG"])
    monkeypatch.setattr(services, "_new_code", lambda: next(drawn))

    party = services.party_register(
        city=city, members=[{"given_name": "A"}], actor_id=None, actor="t", consent=True
    )

    assert party.code == "ABCDEG"
    assert Party.objects.filter(code="ABCDEF").get() == taken


def test_a_code_clash_of_a_request_with_a_key_stores_the_answer_of_the_party_written(
    monkeypatch, volunteer_client, city
):
    """In a transaction (as tests run, and as a registration in a city an integration
    listens to): the key is stored only with the party written, under its own code."""
    factories.PartyFactory(city=city, code="ABCDEF")
    drawn = itertools.chain(["ABCDEF", "ABCDEG"], itertools.repeat("ABCDEH"))
    monkeypatch.setattr(services, "_new_code", lambda: next(drawn))

    first = volunteer_client.post(PARTIES, body(city), format="json", HTTP_IDEMPOTENCY_KEY="k1")
    again = volunteer_client.post(PARTIES, body(city), format="json", HTTP_IDEMPOTENCY_KEY="k1")

    assert first.status_code == 201, first.content
    assert first.json()["code"] == "ABCDEG"
    assert again["Idempotent-Replayed"] == "true"
    assert again.json() == first.json()
    assert Party.objects.filter(city=city).count() == 2


def test_find_a_party_by_code_typed_on_a_cyrillic_keyboard(volunteer_client, city):
    party = factories.PartyFactory(city=city, code="HXBK3M")
    typed = "\u043d\u0425\u0432\u041a3\u043c"  # Cyrillic h, X, b, K and m, as typed in Russian
    assert ids(volunteer_client.get(PARTIES, {"code": typed})) == {str(party.id)}


@pytest.mark.parametrize("transform", [str.lower, str.upper, lambda code: f"  {code.lower()} "])
def test_find_a_party_by_code_case_insensitively(register, volunteer_client, transform):
    party = register()
    register()

    response = volunteer_client.get(PARTIES, {"code": transform(party.code)})

    assert ids(response) == {str(party.id)}
    assert response.json()["count"] == 1
    assert response.json()["results"][0]["code"] == party.code


def test_unknown_code_finds_nothing(register, volunteer_client):
    register()
    assert ids(volunteer_client.get(PARTIES, {"code": "ZZZZZZ"})) == set()


def test_filter_by_status_and_city(placed, register, coordinator_client, city):
    waiting = register()

    assert ids(coordinator_client.get(PARTIES, {"status": "waiting"})) == {str(waiting.id)}
    assert ids(coordinator_client.get(PARTIES, {"status": "placed"})) == {str(placed.id)}
    assert ids(coordinator_client.get(PARTIES, {"status": ["placed", "waiting"]})) == {
        str(placed.id),
        str(waiting.id),
    }
    assert ids(coordinator_client.get(PARTIES, {"city": str(city.id)})) == {
        str(placed.id),
        str(waiting.id),
    }


def test_filter_by_another_city_finds_nothing(register, coordinator_client, other_city):
    register()
    assert ids(coordinator_client.get(PARTIES, {"city": str(other_city.id)})) == set()


@pytest.mark.parametrize(
    "query",
    [
        {"status": "lost"},
        {"city": "not-a-uuid"},
        {"city": "1" * 1000},
        {"city": "\x00"},
        {"code": "AB\x00CD"},
    ],
)
def test_bad_filters_answer_400(register, coordinator_client, query):
    register()
    response = coordinator_client.get(PARTIES, query)
    assert response.status_code == 400
    assert set(response.json()) <= {"status", "city", "code"}


def test_a_long_code_finds_nothing(register, coordinator_client):
    register()
    assert ids(coordinator_client.get(PARTIES, {"code": "Я" * 5000})) == set()


def test_lists_are_scoped_by_role(
    placed,
    register,
    city,
    other_city,
    volunteer_client,
    coordinator_client,
    manager_client,
    other_manager_client,
    other_coordinator_client,
    other_volunteer_client,
    api_key_client,
    superuser_client,
):
    waiting = register()
    elsewhere = register(
        client=other_volunteer_client, in_city=other_city, contact_phone="+7 700 000 00 01"
    )
    here = {str(placed.id), str(waiting.id)}

    assert ids(volunteer_client.get(PARTIES)) == here
    assert ids(coordinator_client.get(PARTIES)) == here
    assert ids(api_key_client.get(PARTIES)) == here
    assert ids(manager_client.get(PARTIES)) == {str(placed.id)}  # placed in their shelter
    assert ids(other_manager_client.get(PARTIES)) == set()
    assert ids(other_coordinator_client.get(PARTIES)) == {str(elsewhere.id)}
    assert ids(other_volunteer_client.get(PARTIES)) == {str(elsewhere.id)}
    assert ids(superuser_client.get(PARTIES)) == {*here, str(elsewhere.id)}


def test_retrieve_outside_scope_is_404_without_content(
    placed, other_coordinator_client, other_volunteer_client, other_manager_client
):
    for client in (other_coordinator_client, other_volunteer_client, other_manager_client):
        response = client.get(party_url(placed.id))
        assert response.status_code == 404
        assert placed.code not in response.content.decode()


def test_retrieve_of_a_malformed_id_is_404(coordinator_client):
    assert coordinator_client.get(party_url("not-a-uuid")).status_code == 404


def test_manager_still_sees_a_party_that_left_their_shelter(checked_in, manager_client):
    assert manager_client.post(party_url(checked_in.id, "check-out")).status_code == 200
    response = manager_client.get(party_url(checked_in.id))
    assert response.status_code == 200
    assert response.data["status"] == "departed"


def test_manager_does_not_see_a_party_whose_hold_expired(placed, manager_client, space):
    services.placements_expire(now=timezone.now() + timedelta(days=1))

    assert manager_client.get(party_url(placed.id)).status_code == 404


def test_anonymous_gets_401(register, anonymous):
    party = register()
    assert anonymous.get(PARTIES).status_code == 401
    assert anonymous.get(party_url(party.id)).status_code == 401
    assert anonymous.post(PARTIES, {}, format="json").status_code == 401


def test_a_user_without_a_role_gets_403(register, city):
    party = register()
    client = client_for(factories.UserFactory())
    assert client.get(PARTIES).status_code == 403
    assert client.get(party_url(party.id)).status_code == 403
    response = client.post(PARTIES, body(city), format="json")
    assert response.status_code == 403
    assert Party.objects.count() == 1


def test_manager_may_not_register(manager_client, city):
    response = manager_client.post(PARTIES, body(city), format="json")
    assert response.status_code == 403
    assert not Party.objects.exists()


def test_volunteer_may_not_register_in_another_city(volunteer_client, other_city):
    response = volunteer_client.post(PARTIES, body(other_city), format="json")
    assert response.status_code == 400
    assert "city" in response.data
    assert not Party.objects.exists()


def test_api_key_without_the_write_scope_may_not_register(city, coordinator):
    _key, secret = api_key_create(
        name="dash", scopes=[Scope.PARTIES_READ], cities=[city], created_by=coordinator
    )
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Api-Key {secret}")
    assert client.post(PARTIES, body(city), format="json").status_code == 403
    assert client.get(PARTIES).status_code == 200
    assert not Party.objects.exists()
