"""A registration outside any transaction (as a request makes it, on PostgreSQL) is one
statement, its own transaction: the party with everything written with it, and the
request's key with its answer (`arrivals.services.party_register`). What that statement
meets: a code already taken, a key another answer holds, a phone given before, a city an
integration listens to (whose event must be written with the party)."""

import itertools

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.models import Role
from arrivals import services
from arrivals.models import Party, PartyEvent, PartyMember
from idempotency.models import IdempotencyKey
from privacy.models import AuditEntry
from tests import factories
from webhooks.models import Delivery, Message, Subscription

from .conftest import PARTIES, body
from .test_registration_cost import real_redis, token_client  # noqa: F401 - a fixture

# Runs are sent to a queue nobody consumes (`real_redis`), not run in the request.
pytestmark = [
    pytest.mark.postgres,
    pytest.mark.redis,
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("real_redis"),
]


@pytest.fixture
def city():
    city = factories.CityFactory()
    factories.SpaceFactory(shelter=factories.ShelterFactory(city=city), beds=50)
    return city


def post(client, city, key):
    return client.post(PARTIES, body(city), format="json", HTTP_IDEMPOTENCY_KEY=key)


def written(party_id) -> tuple:
    """What a registration writes besides the party, for this party."""
    return (
        PartyMember.objects.filter(party_id=party_id).count(),
        PartyEvent.objects.filter(party_id=party_id).count(),
        AuditEntry.objects.filter(object_type="party", object_id=str(party_id)).count(),
    )


def test_a_taken_code_draws_another_and_writes_once(city, monkeypatch):
    volunteer = token_client(factories.member(Role.VOLUNTEER, cities=[city]))
    taken = factories.PartyFactory(city=city, code="TAKEN2")
    # Then others, for the retry below (which draws one before it meets the key).
    drawn = itertools.chain(["TAKEN2", "FRESH3"], (f"NEXT{n:02d}" for n in itertools.count()))
    monkeypatch.setattr(services, "_new_code", lambda: next(drawn))

    answer = post(volunteer, city, "key-1")

    assert answer.status_code == 201, answer.content
    assert answer.json()["code"] == "FRESH3"
    party = Party.objects.get(code="FRESH3")
    assert written(party.id) == (2, 1, 1)
    assert Party.objects.filter(city=city).count() == 2
    assert Party.objects.get(id=taken.id).code == "TAKEN2"
    # The key holds the answer of the party written, not of the code that was taken.
    again = post(volunteer, city, "key-1")
    assert again["Idempotent-Replayed"] == "true"
    assert again.json() == answer.json()


def test_a_key_held_by_another_answer_writes_nothing_and_replays_it(city):
    volunteer = token_client(factories.member(Role.VOLUNTEER, cities=[city]))
    first = post(volunteer, city, "key-1")

    with CaptureQueriesContext(connection) as sql:
        again = post(volunteer, city, "key-1")

    assert again.status_code == 201
    assert again["Idempotent-Replayed"] == "true"
    assert again.json() == first.json()
    assert Party.objects.filter(city=city).count() == 1
    assert written(first.json()["id"]) == (2, 1, 1)
    assert IdempotencyKey.objects.count() == 1
    # The statement that met the key wrote nothing, in no transaction to roll back.
    assert not [q for q in sql.captured_queries if q["sql"] in ("BEGIN", "ROLLBACK", "COMMIT")]


def test_a_phone_given_before_is_a_possible_duplicate_in_the_stored_answer_too(city):
    coordinator = token_client(factories.member(Role.COORDINATOR, cities=[city]))
    assert post(coordinator, city, "key-1").json()["possible_duplicate"] is False

    second = post(coordinator, city, "key-2")  # the same phone
    replayed = post(coordinator, city, "key-2")

    assert second.json()["possible_duplicate"] is True
    assert Party.objects.get(id=second.json()["id"]).possible_duplicate is True
    assert replayed["Idempotent-Replayed"] == "true"
    assert replayed.json() == second.json()


def test_a_city_an_integration_listens_to_gets_the_event_with_the_party(city):
    volunteer = token_client(factories.member(Role.VOLUNTEER, cities=[city]))
    subscription = Subscription.objects.create(
        city=city,
        url="https://hooks.example.org/berth",
        events=["party.registered"],
        secret="whsec_AAAA",
    )

    with CaptureQueriesContext(connection) as sql:
        answer = post(volunteer, city, "key-1")

    assert answer.status_code == 201, answer.content
    party_id = answer.json()["id"]
    [message] = Message.objects.filter(city=city, type="party.registered")
    assert message.body and party_id in message.body
    assert Delivery.objects.filter(subscription=subscription, message=message).count() == 1
    assert written(party_id) == (2, 1, 1)
    assert IdempotencyKey.objects.count() == 1
    # The statement alone wrote nothing; the registration was done again with its event,
    # in one transaction.
    statements = [q["sql"] for q in sql.captured_queries]
    assert statements[-1] == "COMMIT", statements
    assert sum('INSERT INTO "arrivals_party"' in s for s in statements) == 2
    assert post(volunteer, city, "key-1").json() == answer.json()


def test_without_a_key_the_registration_is_one_statement_too(city):
    volunteer = token_client(factories.member(Role.VOLUNTEER, cities=[city]))
    post(volunteer, city, "key-1")  # connections made

    with CaptureQueriesContext(connection) as sql:
        answer = volunteer.post(PARTIES, body(city), format="json")

    assert answer.status_code == 201, answer.content
    statements = [q["sql"] for q in sql.captured_queries]
    assert len(statements) == 2, statements  # the token, the registration
    assert "idempotency_idempotencykey" not in statements[1]
    assert written(answer.json()["id"]) == (2, 1, 1)
    assert IdempotencyKey.objects.count() == 1
