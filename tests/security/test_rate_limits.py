"""Issue 10, item 9: limits that bite. Each request counts against one limit of its caller
and action (accounts.throttling.throttle_scope), at the rates of config/settings/base.py,
counted in the real Redis: past it, 429 with Retry-After; a night's normal pace (a
volunteer at a table, a phone's outbox after a gap, a dashboard, an import page, a
kitchen) never meets one. docs/operations.md ("Request limits") gives the figures."""

import uuid
from datetime import UTC, datetime, timedelta

import pytest
import redis
import time_machine
from rest_framework.test import APIClient

from accounts.models import Role
from accounts.services import api_key_create
from accounts.throttling import ClientRateThrottle
from arrivals.models import Party
from config.settings import base
from config.settings.base import redis_cache
from tests import factories
from tests.conftest import redis_url

pytestmark = [pytest.mark.redis, pytest.mark.django_db]

RATES = base.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]
# The start of a window (a whole minute), so that a test's requests fall in one.
START = datetime(2026, 12, 3, 2, 0, 1, tzinfo=UTC)


def limit(name: str) -> int:
    return int(RATES[name].split("/")[0])


@pytest.fixture(autouse=True)
def real_limits(settings):
    """The production rates, counted in Redis (a database of the test's own)."""
    settings.CACHES = {"default": redis_cache(redis_url())}
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": RATES}
    from django.core.cache import cache

    cache.clear()
    ClientRateThrottle._leases = {}
    yield
    cache.clear()
    ClientRateThrottle._leases = {}


@pytest.fixture
def clock():
    with time_machine.travel(START, tick=False) as traveller:
        yield traveller


def person_client(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def register(client, city):
    return client.post(
        "/api/v1/parties/",
        {"city": str(city.id), "consent": True, "members": [{"given_name": "Aigerim"}]},
        format="json",
        HTTP_IDEMPOTENCY_KEY=str(uuid.uuid4()),
    )


def key_client(city, coordinator, scopes) -> APIClient:
    _key, secret = api_key_create(name="bot", scopes=scopes, cities=[city], created_by=coordinator)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Api-Key {secret}")
    return client


def test_a_volunteers_registrations_are_limited_per_minute(clock, city, volunteer):
    client = person_client(volunteer)
    for number in range(limit("register.volunteer")):
        assert register(client, city).status_code == 201, number
    refused = register(client, city)
    assert refused.status_code == 429
    assert 0 < int(refused["Retry-After"]) <= 60
    assert Party.objects.count() == limit("register.volunteer")
    # Reading is another limit: the volunteer still finds the parties.
    assert client.get("/api/v1/parties/").status_code == 200
    # Another volunteer is not held back.
    other = person_client(factories.member(Role.VOLUNTEER, cities=[city]))
    assert register(other, city).status_code == 201
    # The next minute, registering works again.
    clock.shift(timedelta(seconds=60))
    assert register(client, city).status_code == 201


def test_a_keys_reads_are_limited_and_each_key_counts_alone(clock, city, coordinator):
    first = key_client(city, coordinator, ["capacity:read"])
    second = key_client(city, coordinator, ["capacity:read"])
    for number in range(limit("read.key")):
        assert first.get(f"/api/v1/capacity/?city={city.id}").status_code == 200, number
    refused = first.get(f"/api/v1/capacity/?city={city.id}")
    assert refused.status_code == 429
    assert int(refused["Retry-After"]) > 0
    assert second.get(f"/api/v1/capacity/?city={city.id}").status_code == 200
    assert person_client(coordinator).get("/api/v1/cities/").status_code == 200


def test_requests_without_login_are_limited_per_address(clock, db):
    client = APIClient()
    for number in range(limit("anonymous")):
        assert client.get("/api/schema/").status_code == 200, number
    refused = client.get("/api/schema/")
    assert refused.status_code == 429
    assert "Retry-After" in refused
    # Another address is not held back.
    assert APIClient(REMOTE_ADDR="10.1.2.3").get("/api/schema/").status_code == 200
    # Counted under a keyed hash of each address: the cache holds no address.
    keys = [key.decode() for key in redis.Redis.from_url(redis_url()).keys("*throttle*")]
    assert any("anonymous" in key for key in keys), keys
    assert not any("127.0.0.1" in key or "10.1.2.3" in key for key in keys), keys


def test_other_writes_of_a_person_are_limited(clock, city, coordinator):
    client = person_client(coordinator)
    for number in range(limit("write.person")):
        answer = client.post("/api/v1/matching/runs/", {"city": str(city.id)}, format="json")
        assert answer.status_code == 202, number
    refused = client.post("/api/v1/matching/runs/", {"city": str(city.id)}, format="json")
    assert refused.status_code == 429
    # Registering is its own limit.
    assert register(client, city).status_code == 201


def test_a_normal_nights_pace_meets_no_limit(clock, city, coordinator, volunteer):
    """Ten minutes of a busy night: a volunteer registering a party every 20 s (the
    fastest by hand), whose phone, offline for the ten minutes before, first sends the 30
    registrations it kept, at once; an integration's dashboard reading capacity every
    10 s and syncing the city's parties each minute; a coordinator's import page asking
    for its job every second; a kitchen volunteer recording a serving every 2 s."""
    factories.SpaceFactory(shelter=factories.ShelterFactory(city=city), beds=500)
    at_table = person_client(volunteer)
    dashboard = key_client(city, coordinator, ["capacity:read", "parties:read"])
    office = person_client(coordinator)
    kitchen = person_client(factories.member(Role.VOLUNTEER, cities=[city]))
    service = office.post(
        "/api/v1/meal-services/",
        {
            "city": str(city.id),
            "location": "Station",
            "meal": "hot_meal",
            "starts_at": "2026-12-03T02:00:00+00:00",
        },
        format="json",
    ).json()["id"]
    answers = []

    for _ in range(30):  # the outbox, after ten minutes offline
        answers.append(register(at_table, city))
    for _minute in range(10):
        for second in range(0, 60, 2):
            if second % 20 == 0:
                answers.append(register(at_table, city))
            if second % 10 == 0:
                answers.append(dashboard.get(f"/api/v1/capacity/?city={city.id}"))
            answers.append(office.get("/api/v1/matching/runs/"))  # the page's 1 s poll,
            answers.append(office.get("/api/v1/matching/runs/"))  # twice per 2 s step
            answers.append(
                kitchen.post(
                    f"/api/v1/meal-services/{service}/servings/", {"portions": 1}, format="json"
                )
            )
            clock.shift(timedelta(seconds=2))
        answers.append(dashboard.get("/api/v1/parties/", {"page_size": 500}))

    statuses = {answer.status_code for answer in answers}
    assert 429 not in statuses, [a.content for a in answers if a.status_code == 429][:3]
    assert statuses <= {200, 201, 202}, statuses
    assert Party.objects.count() == 30 + 30
