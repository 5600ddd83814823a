"""?search= on GET /api/v1/parties/: coordinators find a party by its code, part of a given
name, a whole family name (any case: compared by keyed hash) or the phone's digits."""

import pytest

from arrivals.models import PartyMember
from privacy.crypto import name_digest

from .conftest import PARTIES

pytestmark = pytest.mark.django_db


def found(client, term) -> set:
    answer = client.get(PARTIES, {"search": term})
    assert answer.status_code == 200, answer.content
    return {row["id"] for row in answer.json()["results"]}


def test_coordinators_search_by_code_names_and_phone(coordinator_client, register):
    party = register()  # Aigerim Nurlanova and Timur, +7 701 123-45-67
    other = register(
        contact_phone="+7 702 999 99 99",
        members=[{"given_name": "Marat", "family_name": "Ivanov", "sex": "male"}],
    )
    mine = {str(party.id)}
    assert found(coordinator_client, party.code) == mine
    assert found(coordinator_client, f" {party.code.lower()} ") == mine
    assert found(coordinator_client, "aiger") == mine
    assert found(coordinator_client, "TIMUR") == mine
    assert found(coordinator_client, "nurlanova") == mine
    assert found(coordinator_client, "  NURLANOVA ") == mine
    assert found(coordinator_client, "Nurlan") == set()  # family names: whole ones only
    assert found(coordinator_client, "77011234567") == mine
    assert found(coordinator_client, "+7 (701) 123 45 67") == mine
    assert found(coordinator_client, "123 45") == set()  # phones: whole ones only
    # The national form finds the international one, and the other way round.
    assert found(coordinator_client, "8 701 123 45 67") == mine
    assert found(coordinator_client, "87011234567") == mine
    national = register(contact_phone="8 705 111 22 33", members=[{"given_name": "Dana"}])
    assert found(coordinator_client, "+7 705 111 22 33") == {str(national.id)}
    assert found(coordinator_client, "Ivanov") == {str(other.id)}
    assert found(coordinator_client, "nobody") == set()
    # Combined with the other filters.
    assert (
        coordinator_client.get(PARTIES, {"search": "marat", "status": "placed"}).json()["count"]
        == 0
    )


def test_a_given_name_is_found_in_any_case_in_every_alphabet(coordinator_client, register):
    # SQLite's own LIKE folds ASCII only (config/sqlite); PostgreSQL's every alphabet.
    madina = register(members=[{"given_name": "Мадина", "sex": "female"}])
    aigul = register(members=[{"given_name": "Айгүл_50%", "sex": "female"}])
    assert found(coordinator_client, "мадина") == {str(madina.id)}
    assert found(coordinator_client, "МАДИ") == {str(madina.id)}
    assert found(coordinator_client, "АЙГҮЛ") == {str(aigul.id)}
    # % and _ are letters to look for, not wildcards.
    assert found(coordinator_client, "_50%") == {str(aigul.id)}
    # Were _ a wildcard, this letter followed by any other would be found.
    assert found(coordinator_client, "ү_") == set()  # noqa: RUF001


def test_family_names_are_stored_only_as_a_keyed_hash(register):
    party = register()
    member = PartyMember.objects.get(party=party, position=0)
    assert member.family_name_digest == name_digest("Nurlanova")
    assert "nurlanova" not in member.family_name_digest.lower()


def test_search_is_for_coordinators_only(
    volunteer_client, manager_client, api_key_client, register
):
    register()
    for client in (volunteer_client, manager_client, api_key_client):
        answer = client.get(PARTIES, {"search": "Aigerim"})
        assert answer.status_code == 403


def test_search_stays_in_the_coordinators_cities(
    coordinator_client, other_coordinator_client, register
):
    party = register()
    assert found(coordinator_client, "Aigerim") == {str(party.id)}
    assert found(other_coordinator_client, "Aigerim") == set()
    assert found(other_coordinator_client, party.code) == set()


def test_the_other_form_is_tried_only_by_searches(register):
    """Duplicates are not guessed across forms: another form may be someone else's."""
    first = register(contact_phone="+7 701 123 45 67")
    second = register(contact_phone="8 701 123 45 67")
    first.refresh_from_db()
    second.refresh_from_db()
    assert not second.possible_duplicate
