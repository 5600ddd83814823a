"""The same phone registered again in the same city marks a possible duplicate,
compared by keyed hash, without revealing the other party.

Phones are compared by their digits only: `+7 701 123-45-67` equals `77011234567`
and `7 (701) 123 45 67`, but the national form `8 701 123 45 67` does not equal
`+7 701 ...` (no country rules are guessed; see privacy.crypto.phone_normalize).
"""

import hashlib

import pytest
from django.test import override_settings

from arrivals.models import Party
from privacy.crypto import phone_digest

from .conftest import PARTIES, body, party_url

pytestmark = pytest.mark.django_db


def register(client, city, phone):
    response = client.post(PARTIES, body(city, contact_phone=phone), format="json")
    assert response.status_code == 201, response.content
    return response


def flag(response) -> bool:
    """The party's flag as stored: volunteers are not shown it (coordinators only)."""
    return Party.objects.get(id=response.data["id"]).possible_duplicate


def test_first_registration_is_not_a_duplicate(volunteer_client, city):
    response = register(volunteer_client, city, "+7 701 123-45-67")
    assert "possible_duplicate" not in response.data
    assert flag(response) is False


@pytest.mark.parametrize("again", ["+7 701 123-45-67", "77011234567", "+7 (701) 123 45 67"])
def test_same_digits_in_the_same_city_is_a_possible_duplicate(volunteer_client, city, again):
    first = register(volunteer_client, city, "+7 701 123-45-67")
    second = register(volunteer_client, city, again)

    assert "possible_duplicate" not in second.data
    assert flag(second) is True
    # The answer does not say which party: no id, code or name of the first.
    content = second.content.decode()
    assert first.data["id"] not in content
    assert first.data["code"] not in content


def test_coordinator_sees_the_flag_but_not_the_other_party(coordinator_client, city):
    first = register(coordinator_client, city, "+7 701 123-45-67")
    second = register(coordinator_client, city, "+7 701 123-45-67")
    assert second.data["possible_duplicate"] is True
    assert first.data["id"] not in second.content.decode()
    shown = coordinator_client.get(party_url(second.data["id"]))
    assert shown.data["possible_duplicate"] is True


def test_national_prefix_is_not_equated_with_the_country_code(volunteer_client, city):
    register(volunteer_client, city, "+7 701 123-45-67")
    assert flag(register(volunteer_client, city, "8 701 123 45 67")) is False


def test_other_phone_is_not_a_duplicate(volunteer_client, city):
    register(volunteer_client, city, "+7 701 123-45-67")
    assert flag(register(volunteer_client, city, "+7 701 123-45-68")) is False


def test_not_flagged_across_cities(volunteer_client, other_volunteer_client, city, other_city):
    register(volunteer_client, city, "+7 701 123-45-67")
    assert flag(register(other_volunteer_client, other_city, "+7 701 123-45-67")) is False


def test_not_flagged_against_closed_parties(volunteer_client, coordinator_client, city):
    first = register(volunteer_client, city, "+7 701 123-45-67")
    assert coordinator_client.post(party_url(first.data["id"], "cancel")).status_code == 200
    assert flag(register(volunteer_client, city, "+7 701 123-45-67")) is False


def test_no_phone_is_never_a_duplicate(volunteer_client, city):
    for phone in (None, ""):
        data = body(city, contact_phone=phone)
        response = volunteer_client.post(PARTIES, data, format="json")
        assert response.status_code == 201
        assert flag(response) is False
    assert set(Party.objects.values_list("contact_phone_digest", flat=True)) == {""}


def test_the_digest_is_keyed(volunteer_client, city):
    response = register(volunteer_client, city, "+7 701 123-45-67")
    stored = Party.objects.get(id=response.data["id"]).contact_phone_digest
    assert stored == phone_digest("77011234567")
    with override_settings(LOOKUP_HASH_KEY="another key"):
        assert phone_digest("77011234567") != stored
    assert stored != hashlib.sha256(b"77011234567").hexdigest()
