"""Issue 10, item 4: anyone who may register could test whether a phone is among the
arrivals through `possible_duplicate`. It is shown to coordinators only; volunteers (and
keys, and managers) are told nothing about other parties."""

import pytest
from django.urls import reverse

from arrivals.models import Party
from tests.arrivals.parties.conftest import (  # noqa: F401 - fixtures
    PARTIES,
    api_key_client,
    body,
    party_url,
    placed,
    register,
    space,
)
from tests.web.conftest import web_client

pytestmark = pytest.mark.django_db

PHONE = "+7 701 123-45-67"


def register_by(client, city, phone=PHONE, **headers):
    answer = client.post(PARTIES, body(city, contact_phone=phone), format="json", **headers)
    assert answer.status_code == 201, answer.content
    return answer


def test_a_volunteer_learns_nothing_from_registering_a_known_phone(
    city, volunteer_client, coordinator_client
):
    register_by(coordinator_client, city)
    probe = register_by(volunteer_client, city)
    assert "possible_duplicate" not in probe.json()
    assert "duplicate" not in probe.content.decode()
    # ... nor from reading the party, listing, finding by code or replaying the answer.
    party_id = probe.json()["id"]
    assert "possible_duplicate" not in volunteer_client.get(party_url(party_id)).json()
    listed = volunteer_client.get(PARTIES).json()["results"]
    assert listed and all("possible_duplicate" not in row for row in listed)
    # The flag is kept, for the coordinators.
    assert Party.objects.get(id=party_id).possible_duplicate is True
    assert coordinator_client.get(party_url(party_id)).json()["possible_duplicate"] is True


def test_a_replayed_registration_does_not_tell_either(city, volunteer_client, coordinator_client):
    register_by(coordinator_client, city)
    first = register_by(volunteer_client, city, HTTP_IDEMPOTENCY_KEY="probe-1")
    again = register_by(volunteer_client, city, HTTP_IDEMPOTENCY_KEY="probe-1")
    assert again["Idempotent-Replayed"] == "true"
    assert "possible_duplicate" not in first.json()
    assert "possible_duplicate" not in again.json()


def test_keys_and_managers_are_not_told(request, city, coordinator_client, manager_client):
    keys = request.getfixturevalue("api_key_client")
    held = request.getfixturevalue("placed")
    register_by(coordinator_client, city)
    answer = register_by(keys, city)
    assert "possible_duplicate" not in answer.json()
    assert "possible_duplicate" not in manager_client.get(party_url(held.id)).json()


def test_the_party_page_shows_the_warning_to_coordinators_only(
    city, volunteer, coordinator, volunteer_client, coordinator_client
):
    register_by(coordinator_client, city)
    party_id = register_by(volunteer_client, city).json()["id"]
    url = reverse("web-party", args=[party_id])
    warning = "Possible duplicate"
    assert warning not in web_client(volunteer).get(url).content.decode()
    assert warning in web_client(coordinator).get(url).content.decode()
