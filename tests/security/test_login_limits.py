"""Issue 10, item 5: failed sign-ins are limited per account and per address (django-axes,
counted in the database), still with Redis down; a shared address does not lock out the
other accounts signing in from it; a locked account gets in with the right password after
the lockout, or at once after a coordinator's unlock. The token endpoint, the web login and
the admin login share the count."""

from datetime import timedelta

import pytest
import time_machine
from axes.models import AccessAttempt
from django.test import Client
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.models import Role
from tests import factories

pytestmark = pytest.mark.django_db

TOKEN_URL = "/api/v1/auth/token/"
DEAD_REDIS = {  # nothing listens on port 1: every cache call fails at once
    "default": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": "redis://127.0.0.1:1/0",
        "OPTIONS": {"socket_connect_timeout": 0.2, "socket_timeout": 0.2},
    }
}


@pytest.fixture
def person(city):
    return factories.member(Role.VOLUNTEER, cities=[city], username="aigerim")


def api(address="203.0.113.7") -> APIClient:
    return APIClient(REMOTE_ADDR=address)


def token_attempt(client, username="aigerim", password="guess"):
    return client.post(TOKEN_URL, {"username": username, "password": password}, format="json")


def test_25_wrong_passwords_answer_429_with_retry_after_while_redis_is_down(person, settings):
    settings.CACHES = DEAD_REDIS
    client = api()
    answers = [token_attempt(client).status_code for _ in range(25)]
    limit = settings.LOGIN_FAILURES_ACCOUNT_ADDRESS
    assert answers[: limit - 1] == [401] * (limit - 1)
    assert answers[limit - 1 :] == [429] * (25 - limit + 1)
    refused = token_attempt(client, password=factories.PASSWORD)
    assert refused.status_code == 429
    assert 0 < int(refused["Retry-After"]) <= settings.LOGIN_LOCKOUT_MINUTES * 60
    assert "token" not in refused.json()
    detail = refused.json()["detail"]
    assert detail.startswith("Too many failed sign-ins") and "Try again in 15 minutes" in detail
    # Refused attempts are not counted: the lock still ends at its time.
    assert AccessAttempt.objects.get().failures_since_start == limit


def test_a_shared_address_does_not_lock_out_another_account(person, settings):
    factories.member(Role.VOLUNTEER, username="bolat")
    shared = api("198.51.100.20")
    for _ in range(settings.LOGIN_FAILURES_ACCOUNT_ADDRESS + 3):
        token_attempt(shared)
    assert token_attempt(shared, password=factories.PASSWORD).status_code == 429
    # Bolat at the same registration point, with his right password:
    assert token_attempt(shared, "bolat", factories.PASSWORD).status_code == 200
    # ... and Aigerim from her own phone's address:
    assert token_attempt(api("192.0.2.44"), password=factories.PASSWORD).status_code == 200


def test_guessing_one_account_from_many_addresses_locks_it(person, settings):
    settings.LOGIN_FAILURES_ACCOUNT = 12
    for number in range(12):
        assert token_attempt(api(f"192.0.2.{number + 1}")).status_code in (401, 429)
    fresh = api("192.0.2.200")
    assert token_attempt(fresh, password=factories.PASSWORD).status_code == 429


def test_trying_many_accounts_from_one_address_locks_the_address(person, settings):
    settings.LOGIN_FAILURES_ADDRESS = 15
    sprayer = api("198.51.100.99")
    for number in range(15):
        token_attempt(sprayer, username=f"user{number}")
    assert token_attempt(sprayer, password=factories.PASSWORD).status_code == 429
    assert token_attempt(api("198.51.100.100"), password=factories.PASSWORD).status_code == 200


def test_a_locked_account_gets_in_with_the_right_password_after_the_lockout(person, settings):
    client = api()
    for _ in range(settings.LOGIN_FAILURES_ACCOUNT_ADDRESS):
        token_attempt(client)
    start = timezone.now()
    minutes = settings.LOGIN_LOCKOUT_MINUTES
    with time_machine.travel(start + timedelta(minutes=minutes - 1), tick=False):
        refused = token_attempt(client, password=factories.PASSWORD)
        assert refused.status_code == 429
        assert int(refused["Retry-After"]) <= 60 + 1
    with time_machine.travel(start + timedelta(minutes=minutes, seconds=2), tick=False):
        assert token_attempt(client, password=factories.PASSWORD).status_code == 200
        # and a success forgets this account's failures from this address
        assert not AccessAttempt.objects.filter(username="aigerim").exists()


def test_a_coordinator_unlocks_a_member_at_once(person, city, settings):
    client = api()
    for _ in range(settings.LOGIN_FAILURES_ACCOUNT_ADDRESS):
        token_attempt(client)
    assert token_attempt(client, password=factories.PASSWORD).status_code == 429

    membership = person.membership
    coordinator = APIClient()
    coordinator.force_authenticate(factories.member(Role.COORDINATOR, cities=[city]))
    elsewhere = APIClient()
    elsewhere.force_authenticate(
        factories.member(Role.COORDINATOR, cities=[factories.CityFactory()])
    )
    volunteer = APIClient()
    volunteer.force_authenticate(factories.member(Role.VOLUNTEER, cities=[city]))
    url = f"/api/v1/members/{membership.id}/unlock/"
    assert elsewhere.post(url).status_code == 404
    assert volunteer.post(url).status_code == 403
    assert token_attempt(client, password=factories.PASSWORD).status_code == 429

    answer = coordinator.post(url)
    assert answer.status_code == 200
    assert answer.json()["username"] == "aigerim"
    assert token_attempt(client, password=factories.PASSWORD).status_code == 200


def test_the_back_office_unlocks_a_member(person, city, settings):
    client = api()
    for _ in range(settings.LOGIN_FAILURES_ACCOUNT_ADDRESS):
        token_attempt(client)
    browser = Client()
    coordinator = factories.member(Role.COORDINATOR, cities=[city], is_staff=True)
    browser.force_login(coordinator)
    selected = [str(person.membership.id), str(coordinator.membership.id)]
    response = browser.post(
        "/admin/accounts/membership/",
        {"action": "unlock_sign_in", "_selected_action": selected},
        follow=True,
    )
    assert response.status_code == 200
    # Counted: the one who was locked out, not the coordinator selected with them.
    assert "Sign-in unlocked for 1 member." in response.content.decode()
    assert token_attempt(client, password=factories.PASSWORD).status_code == 200


@pytest.mark.parametrize("url", ["/accounts/login/", "/admin/login/"])
def test_web_and_admin_logins_share_the_limit_and_say_why(person, settings, url):
    settings.CACHES = DEAD_REDIS
    for _ in range(settings.LOGIN_FAILURES_ACCOUNT_ADDRESS - 1):
        token_attempt(api("127.0.0.1"))
    browser = Client()
    response = browser.post(url, {"username": "aigerim", "password": "guess"})
    assert response.status_code == 429  # the failure that fills the limit
    response = browser.post(
        url, {"username": "aigerim", "password": factories.PASSWORD}, HTTP_ACCEPT_LANGUAGE="en"
    )
    assert response.status_code == 429
    assert int(response["Retry-After"]) > 0
    assert b"Too many failed sign-ins" in response.content
    assert b'name="username"' in response.content  # the form again, to try later
    assert "_auth_user_id" not in browser.session
    assert browser.get(url).status_code == 200  # reading the page is no attempt
