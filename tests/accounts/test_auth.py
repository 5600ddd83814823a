"""Authentication: tokens, the login throttle (API, web and admin), 401 everywhere."""

import uuid

import pytest
from django.test import Client
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from accounts.models import Role
from accounts.throttling import LoginRateThrottle
from tests import factories

pytestmark = pytest.mark.django_db

TOKEN_URL = "/api/v1/auth/token/"
LOGIN_LIMIT = LoginRateThrottle().num_requests  # settings: THROTTLE_LOGIN_RATE, 10/min


@pytest.fixture
def person(city):
    return factories.member(Role.VOLUNTEER, cities=[city], username="aigerim")


def test_token_for_the_right_password(anonymous, person):
    response = anonymous.post(
        TOKEN_URL, {"username": "aigerim", "password": factories.PASSWORD}, format="json"
    )
    assert response.status_code == 200
    token = response.json()["token"]
    assert Token.objects.get(user=person).key == token

    # the token works, and asking again gives the same token
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    me = client.get("/api/v1/members/me/")
    assert me.status_code == 200
    assert me.json()["username"] == "aigerim"
    again = anonymous.post(
        TOKEN_URL, {"username": "aigerim", "password": factories.PASSWORD}, format="json"
    )
    assert again.json()["token"] == token


@pytest.mark.parametrize(
    "credentials",
    [
        {"username": "aigerim", "password": "wrong"},
        {"username": "nobody", "password": factories.PASSWORD},
        {"username": "AIGERIM ", "password": "wrong"},
    ],
)
def test_wrong_credentials_answer_401(anonymous, person, credentials):
    response = anonymous.post(TOKEN_URL, credentials, format="json")
    assert response.status_code == 401
    assert "WWW-Authenticate" in response
    assert "token" not in response.json()
    assert not Token.objects.exists()


def test_an_inactive_person_gets_no_token(anonymous, person):
    person.is_active = False
    person.save()
    response = anonymous.post(
        TOKEN_URL, {"username": "aigerim", "password": factories.PASSWORD}, format="json"
    )
    assert response.status_code == 401
    assert not Token.objects.exists()


@pytest.mark.parametrize(
    ("payload", "fields"),
    [
        ({}, {"username", "password"}),
        ({"username": "aigerim"}, {"password"}),
        ({"password": "x"}, {"username"}),
        ({"username": "", "password": ""}, {"username", "password"}),
        ({"username": "a" * 151, "password": "x"}, {"username"}),
        ({"username": "a\x00b", "password": "x"}, {"username"}),
    ],
)
def test_missing_or_bad_fields_answer_400(anonymous, person, payload, fields):
    response = anonymous.post(TOKEN_URL, payload, format="json")
    assert response.status_code == 400
    assert set(response.json()) == fields


def test_token_endpoint_takes_only_post(anonymous):
    assert anonymous.get(TOKEN_URL).status_code == 405


def test_token_endpoint_is_throttled_with_retry_after(anonymous, person):
    for _ in range(LOGIN_LIMIT):
        response = anonymous.post(
            TOKEN_URL, {"username": "aigerim", "password": "guess"}, format="json"
        )
        assert response.status_code == 401

    response = anonymous.post(
        TOKEN_URL, {"username": "aigerim", "password": factories.PASSWORD}, format="json"
    )
    assert response.status_code == 429
    assert int(response["Retry-After"]) > 0
    assert not Token.objects.exists()

    # another address is not held back
    other = APIClient(REMOTE_ADDR="10.1.2.3")
    response = other.post(
        TOKEN_URL, {"username": "aigerim", "password": factories.PASSWORD}, format="json"
    )
    assert response.status_code == 200


def test_web_login_page_renders_and_signs_in(person):
    client = Client()
    page = client.get("/accounts/login/")
    assert page.status_code == 200
    assert b'name="username"' in page.content

    wrong = client.post("/accounts/login/", {"username": "aigerim", "password": "nope"})
    assert wrong.status_code == 200
    assert "_auth_user_id" not in client.session

    right = client.post("/accounts/login/", {"username": "aigerim", "password": factories.PASSWORD})
    assert right.status_code == 302
    assert client.session["_auth_user_id"] == str(person.pk)


@pytest.mark.parametrize("url", ["/accounts/login/", "/admin/login/"])
def test_web_and_admin_login_are_throttled_like_the_api(person, url):
    client = Client()
    for _ in range(LOGIN_LIMIT):
        response = client.post(url, {"username": "aigerim", "password": "guess"})
        assert response.status_code == 200  # the form again, with its error

    response = client.post(url, {"username": "aigerim", "password": factories.PASSWORD})
    assert response.status_code == 429
    assert int(response["Retry-After"]) > 0
    assert "_auth_user_id" not in client.session
    # reading the page is not a guess
    assert client.get(url).status_code == 200


def test_the_login_throttle_is_shared_between_api_and_web(anonymous, person):
    for _ in range(LOGIN_LIMIT):
        anonymous.post(TOKEN_URL, {"username": "aigerim", "password": "guess"}, format="json")
    response = Client().post("/accounts/login/", {"username": "aigerim", "password": "x"})
    assert response.status_code == 429


ID = uuid.uuid4()
PROTECTED = [
    ("get", "/api/v1/cities/"),
    ("get", f"/api/v1/cities/{ID}/"),
    ("get", "/api/v1/shelters/"),
    ("post", "/api/v1/shelters/"),
    ("get", f"/api/v1/shelters/{ID}/"),
    ("patch", f"/api/v1/shelters/{ID}/"),
    ("delete", f"/api/v1/shelters/{ID}/"),
    ("get", "/api/v1/spaces/"),
    ("post", "/api/v1/spaces/"),
    ("get", f"/api/v1/spaces/{ID}/"),
    ("patch", f"/api/v1/spaces/{ID}/"),
    ("delete", f"/api/v1/spaces/{ID}/"),
    ("get", "/api/v1/members/"),
    ("post", "/api/v1/members/"),
    ("get", "/api/v1/members/me/"),
    ("get", f"/api/v1/members/{ID}/"),
    ("get", "/api/v1/api-keys/"),
    ("post", "/api/v1/api-keys/"),
    ("get", f"/api/v1/api-keys/{ID}/"),
    ("post", f"/api/v1/api-keys/{ID}/revoke/"),
    ("get", f"/api/v1/capacity/?city={ID}"),
    ("get", "/api/v1/parties/"),
    ("post", "/api/v1/parties/"),
    ("get", "/api/v1/placements/"),
]


@pytest.mark.parametrize(("method", "url"), PROTECTED)
def test_every_endpoint_answers_401_without_credentials(anonymous, city, method, url):
    response = getattr(anonymous, method)(url, {}, format="json")
    assert response.status_code == 401
    assert "WWW-Authenticate" in response


@pytest.mark.parametrize(
    "header",
    [
        "Token nonsense",
        "Token ",
        "Token a b",
        "Token abc\x00def",
        "Token ÿÿÿ",
        "Api-Key nonsense-nonsense-nonsense",
        "Api-Key",
        "Api-Key abcdefgh\x00ijklmnopqrstuvwxyz",
        "Api-Key a b",
        "Api-Key " + "k" * 500,
    ],
    ids=repr,
)
def test_bad_credentials_answer_401_never_500(city, header):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=header)
    response = client.get("/api/v1/cities/")
    assert response.status_code == 401


def test_a_deactivated_persons_token_stops_working(person):
    token = Token.objects.create(user=person)
    person.is_active = False
    person.save()
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    assert client.get("/api/v1/cities/").status_code == 401


@pytest.mark.django_db
def test_throttles_let_requests_through_while_redis_is_down(settings, volunteer_client, city):
    """A cache that does not answer (Redis down) must not turn requests into 500s."""
    settings.CACHES = {  # the settings fixture resets Django's cache handler on change
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": "redis://127.0.0.1:1/0",  # nothing listens on port 1
        }
    }
    answer = volunteer_client.get(f"/api/v1/capacity/?city={city.id}")
    assert answer.status_code == 200
    token = APIClient().post(
        "/api/v1/auth/token/", {"username": "nobody", "password": "x"}, format="json"
    )
    assert token.status_code == 401


def test_only_failed_logins_count(anonymous, person):
    """A coordinator signing in a shift of volunteers from one address is not held back."""
    for _ in range(LOGIN_LIMIT * 3):
        response = anonymous.post(
            TOKEN_URL, {"username": "aigerim", "password": factories.PASSWORD}, format="json"
        )
        assert response.status_code == 200
    for _ in range(LOGIN_LIMIT):
        anonymous.post(TOKEN_URL, {"username": "aigerim", "password": "guess"}, format="json")
    response = anonymous.post(
        TOKEN_URL, {"username": "aigerim", "password": factories.PASSWORD}, format="json"
    )
    assert response.status_code == 429


@pytest.mark.postgres
@pytest.mark.redis
@pytest.mark.django_db(transaction=True)
def test_parallel_guesses_cannot_slip_past_the_login_throttle(settings, monkeypatch):
    """Forty wrong passwords at once from one address, on the shared Redis cache."""
    # The same number a day: no window boundary can fall inside the test.
    monkeypatch.setattr(LoginRateThrottle, "THROTTLE_RATES", {"login": f"{LOGIN_LIMIT}/day"})
    import threading

    from django.core.cache import cache
    from django.db import connection

    from tests.conftest import redis_url

    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": redis_url(),
            "KEY_PREFIX": f"test-{uuid.uuid4().hex[:8]}",
        }
    }
    factories.member(Role.VOLUNTEER, username="target")
    barrier = threading.Barrier(40)
    answers = []

    def guess():
        try:
            barrier.wait(timeout=30)
            answers.append(
                APIClient()
                .post(TOKEN_URL, {"username": "target", "password": "guess"}, format="json")
                .status_code
            )
        finally:
            connection.close()

    threads = [threading.Thread(target=guess) for _ in range(40)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    cache.clear()
    assert len(answers) == 40
    assert answers.count(401) == LOGIN_LIMIT
    assert answers.count(429) == 40 - LOGIN_LIMIT
