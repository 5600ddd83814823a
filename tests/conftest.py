"""Shared fixtures. Tests marked `postgres` or `redis` need the real servers: they are
skipped (and say so) when absent, and fail when REQUIRE_SERVICES=1."""

import os

import hypothesis
import pytest
from django.conf import settings
from django.core.cache import cache
from rest_framework.test import APIClient

from accounts.models import Role
from accounts.services import api_key_create
from tests import factories

REQUIRE_SERVICES = os.environ.get("REQUIRE_SERVICES") == "1"

# In CI the property tests draw the same examples every run, so a submission's result
# does not depend on luck; on a developer's machine they keep exploring new ones.
hypothesis.settings.register_profile("ci", derandomize=True, deadline=None)
if os.environ.get("CI"):
    hypothesis.settings.load_profile("ci")


def _missing(reason: str) -> None:
    if REQUIRE_SERVICES:
        pytest.fail(f"REQUIRE_SERVICES=1 but {reason}", pytrace=False)
    pytest.skip(reason)


def postgres_available() -> bool:
    return "postgresql" in settings.DATABASES["default"]["ENGINE"]


def redis_url() -> str:
    return os.environ.get("REDIS_URL", "")


@pytest.fixture(autouse=True)
def _services(request):
    if request.node.get_closest_marker("postgres") and not postgres_available():
        _missing("this test needs PostgreSQL: set DATABASE_URL=postgres://...")
    if request.node.get_closest_marker("redis"):
        url = redis_url()
        if not url:
            _missing("this test needs Redis: set REDIS_URL=redis://...")
        import redis

        try:
            redis.Redis.from_url(url, socket_connect_timeout=2).ping()
        except redis.RedisError as error:
            _missing(f"Redis at {url} does not answer: {error}")


@pytest.fixture(autouse=True)
def _clear_cache():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def city(db):
    return factories.CityFactory()


@pytest.fixture
def other_city(db):
    return factories.CityFactory()


def client_for(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


@pytest.fixture
def anonymous():
    return APIClient()


@pytest.fixture
def coordinator(city):
    return factories.member(Role.COORDINATOR, cities=[city])


@pytest.fixture
def volunteer(city):
    return factories.member(Role.VOLUNTEER, cities=[city])


@pytest.fixture
def shelter(city):
    return factories.ShelterFactory(city=city)


@pytest.fixture
def manager(shelter):
    return factories.member(Role.SHELTER_MANAGER, shelters=[shelter])


@pytest.fixture
def manager_client(manager):
    return client_for(manager)


@pytest.fixture
def other_volunteer_client(other_city):
    return client_for(factories.member(Role.VOLUNTEER, cities=[other_city]))


@pytest.fixture
def other_coordinator_client(other_city):
    return client_for(factories.member(Role.COORDINATOR, cities=[other_city]))


def key_client(city, coordinator, scopes) -> APIClient:
    """A client that authenticates with a new API key of these scopes in `city`."""
    _key, secret = api_key_create(name="bot", scopes=scopes, cities=[city], created_by=coordinator)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Api-Key {secret}")
    return client


@pytest.fixture
def coordinator_client(coordinator):
    return client_for(coordinator)


@pytest.fixture
def volunteer_client(volunteer):
    return client_for(volunteer)


@pytest.fixture
def superuser_client(db):
    return client_for(factories.UserFactory(is_superuser=True, is_staff=True))
