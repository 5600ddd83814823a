"""What a registration costs the servers: round trips to PostgreSQL (every statement the
request sends, BEGIN and COMMIT included) and to Redis (every command or pipeline sent on
a real connection, the throttle's and the broker's), counted on the real servers.

The answer is built from the objects the registration wrote: it must be what reading the
party back gives."""

import uuid

import pytest
import redis
import redis.connection
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from accounts.models import Role
from arrivals.models import MatchingRun, Party, PartyStatus, RunStatus
from config.celery import app as celery_app
from config.settings.base import redis_cache
from tests import factories
from tests.arrivals.workflow.conftest import _reset_broker_pools
from tests.conftest import redis_url

from .conftest import PARTIES, body

pytestmark = [pytest.mark.postgres, pytest.mark.redis, pytest.mark.django_db(transaction=True)]

MAX_SQL_ROUND_TRIPS = 10
MAX_REDIS_ROUND_TRIPS = 1


@pytest.fixture
def real_redis(settings):
    """The cache and the broker on the test's Redis, tasks sent (not run in-process) to
    a queue nobody consumes; yields the Redis client and the queue's name."""
    queue = f"berth-cost-{uuid.uuid4().hex[:10]}"
    settings.CACHES = {"default": redis_cache(redis_url())}
    keys = ("CELERY_TASK_ALWAYS_EAGER", "CELERY_BROKER_URL", "CELERY_TASK_DEFAULT_QUEUE")
    saved = {key: celery_app.conf[key] for key in keys}
    celery_app.conf.update(
        CELERY_TASK_ALWAYS_EAGER=False,
        CELERY_BROKER_URL=redis_url(),
        CELERY_TASK_DEFAULT_QUEUE=queue,
    )
    _reset_broker_pools()
    client = redis.Redis.from_url(redis_url())
    try:
        yield client, queue
    finally:
        client.delete(queue)
        _reset_broker_pools()
        celery_app.conf.update(saved)


class RedisRoundTrips:
    """Every command (or pipeline) written to a Redis connection of this process: one
    round trip each. Wraps the real connection's send, which still sends."""

    def __init__(self, monkeypatch) -> None:
        self.sent: list[bytes] = []
        send = redis.connection.AbstractConnection.send_packed_command

        def counted(connection_, command, check_health=True):
            packed = command if isinstance(command, bytes | str) else b"".join(command)
            self.sent.append(packed if isinstance(packed, bytes) else packed.encode())
            return send(connection_, command, check_health)

        monkeypatch.setattr(redis.connection.AbstractConnection, "send_packed_command", counted)


def token_client(user) -> APIClient:
    """A client that signs in as `user` through the token endpoint, as an app does."""
    client = APIClient()
    answer = client.post(
        "/api/v1/auth/token/",
        {"username": user.username, "password": factories.PASSWORD},
        format="json",
    )
    assert answer.status_code == 200, answer.content
    client.credentials(HTTP_AUTHORIZATION=f"Token {answer.json()['token']}")
    return client


def register(client, city, **overrides):
    return client.post(
        PARTIES, body(city, **overrides), format="json", HTTP_IDEMPOTENCY_KEY=str(uuid.uuid4())
    )


def the_worker_took_the_queued_runs(city) -> None:
    MatchingRun.objects.filter(city=city, status=RunStatus.QUEUED).update(status=RunStatus.DONE)


def test_a_registration_that_asks_for_matching(real_redis, monkeypatch):
    redis_client, queue = real_redis
    city = factories.CityFactory()
    factories.SpaceFactory(shelter=factories.ShelterFactory(city=city), beds=50)
    volunteer = token_client(factories.member(Role.VOLUNTEER, cities=[city]))
    assert register(volunteer, city).status_code == 201  # connections made, throttle leased
    the_worker_took_the_queued_runs(city)
    queued_before = redis_client.llen(queue)
    trips = RedisRoundTrips(monkeypatch)

    with CaptureQueriesContext(connection) as sql:
        answer = register(volunteer, city)

    assert answer.status_code == 201, answer.content
    statements = [query["sql"] for query in sql.captured_queries]
    assert len(statements) <= MAX_SQL_ROUND_TRIPS, "\n".join(statements)
    assert not [s for s in statements if s.startswith(("SAVEPOINT", "RELEASE SAVEPOINT"))]
    assert not [s for s in statements if "DELETE" in s and "idempotency" in s]
    # The caller's token, then the registration: one statement, its own transaction (no
    # BEGIN, no COMMIT), which stores the key with the answer and queues the run too.
    token, registration = statements
    assert "knox_authtoken" in token
    for table in ('"arrivals_party"', '"idempotency_idempotencykey"', "arrivals_matchingrun"):
        assert f"INSERT INTO {table}" in registration, table
    assert len(trips.sent) <= MAX_REDIS_ROUND_TRIPS, trips.sent
    # ... and that one round trip is the matching run, sent to the workers' queue.
    assert redis_client.llen(queue) == queued_before + 1
    run = MatchingRun.objects.get(city=city, status=RunStatus.QUEUED)
    assert str(run.id).encode() in trips.sent[0]
    party = Party.objects.get(id=answer.json()["id"])
    assert (party.status, party.size, party.members.count()) == (PartyStatus.WAITING, 2, 2)


def test_a_registration_while_a_run_is_queued_asks_nothing_more(real_redis, monkeypatch):
    redis_client, queue = real_redis
    city = factories.CityFactory()
    factories.SpaceFactory(shelter=factories.ShelterFactory(city=city), beds=50)
    volunteer = token_client(factories.member(Role.VOLUNTEER, cities=[city]))
    assert register(volunteer, city).status_code == 201  # queues a run
    queued_before = redis_client.llen(queue)
    trips = RedisRoundTrips(monkeypatch)

    assert register(volunteer, city).status_code == 201

    assert trips.sent == []  # the queued run will see this party too
    assert redis_client.llen(queue) == queued_before
    assert MatchingRun.objects.filter(city=city).count() == 1


def test_a_registration_in_a_full_city_asks_for_no_run(real_redis, monkeypatch):
    redis_client, queue = real_redis
    city = factories.CityFactory()
    factories.SpaceFactory(shelter=factories.ShelterFactory(city=city), beds=1)
    volunteer = token_client(factories.member(Role.VOLUNTEER, cities=[city]))
    assert register(volunteer, city).status_code == 201  # two people: no space takes them
    trips = RedisRoundTrips(monkeypatch)

    with CaptureQueriesContext(connection) as sql:
        assert register(volunteer, city).status_code == 201

    assert len(sql.captured_queries) <= MAX_SQL_ROUND_TRIPS
    assert trips.sent == []
    assert not MatchingRun.objects.filter(city=city).exists()
    assert redis_client.llen(queue) == 0
    # A party that fits asks, in the same city.
    assert register(volunteer, city, members=[{"given_name": "Arman"}]).status_code == 201
    assert MatchingRun.objects.filter(city=city, status=RunStatus.QUEUED).count() == 1


@pytest.mark.parametrize("role", [Role.VOLUNTEER, Role.COORDINATOR])
def test_the_answer_is_the_party_as_read_back(real_redis, role):
    city = factories.CityFactory()
    factories.SpaceFactory(shelter=factories.ShelterFactory(city=city), beds=50)
    caller = token_client(factories.member(role, cities=[city]))
    register(caller, city)  # the same phone again: a possible duplicate

    answer = register(caller, city)

    assert answer.status_code == 201
    again = caller.get(f"{PARTIES}{answer.json()['id']}/")
    assert answer.json() == again.json()
    if role == Role.COORDINATOR:
        assert answer.json()["possible_duplicate"] is True
        assert answer.json()["contact_phone"] == "+7 701 123-45-67"
    else:
        assert "contact_phone" not in answer.json()
