"""Authentication: tokens, the sign-in limit (API, web and admin), 401 everywhere.

The regression tests of issue 10 (hashed, ending tokens; limits per account and address
with Redis down) are in tests/security/test_tokens.py and test_login_limits.py."""

import uuid

import pytest
from django.conf import settings
from django.test import Client
from knox.models import AuthToken
from rest_framework.test import APIClient

from accounts import services
from accounts.models import Role
from tests import factories

pytestmark = pytest.mark.django_db

TOKEN_URL = "/api/v1/auth/token/"
# Wrong passwords for one account from one address (LOGIN_FAILURES_ACCOUNT_ADDRESS): the
# one that reaches it answers 429 already.
LOGIN_LIMIT = settings.LOGIN_FAILURES_ACCOUNT_ADDRESS


@pytest.fixture
def person(city):
    return factories.member(Role.VOLUNTEER, cities=[city], username="aigerim")


def test_token_for_the_right_password(anonymous, person):
    response = anonymous.post(
        TOKEN_URL, {"username": "aigerim", "password": factories.PASSWORD}, format="json"
    )
    assert response.status_code == 200
    token = response.json()["token"]
    assert AuthToken.objects.get(user=person).token_key == token[:15]

    # the token works, and asking again gives another token (one per sign-in)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    me = client.get("/api/v1/members/me/")
    assert me.status_code == 200
    assert me.json()["username"] == "aigerim"
    again = anonymous.post(
        TOKEN_URL, {"username": "aigerim", "password": factories.PASSWORD}, format="json"
    )
    assert again.json()["token"] != token
    assert AuthToken.objects.filter(user=person).count() == 2


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
    assert not AuthToken.objects.exists()


@pytest.mark.parametrize("typed", ["Aigerim", "AIGERIM", "aIgErIm"])
def test_the_username_is_taken_in_any_case(anonymous, person, typed):
    response = anonymous.post(
        TOKEN_URL, {"username": typed, "password": factories.PASSWORD}, format="json"
    )
    assert response.status_code == 200, response.content
    assert AuthToken.objects.get().user == person
    web = Client()
    web.post("/accounts/login/", {"username": typed, "password": factories.PASSWORD})
    assert web.session["_auth_user_id"] == str(person.pk)


def test_names_alike_but_for_case_need_the_exact_case(anonymous, city):
    # Made before names were unique whatever their case (the back office): neither is
    # guessed for the other.
    lower = factories.member(Role.VOLUNTEER, cities=[city], username="ali")
    upper = factories.member(Role.VOLUNTEER, cities=[city], username="Ali")
    for typed, user in (("ali", lower), ("Ali", upper)):
        answer = anonymous.post(
            TOKEN_URL, {"username": typed, "password": factories.PASSWORD}, format="json"
        )
        assert answer.status_code == 200
        assert AuthToken.objects.order_by("-created").first().user == user
    answer = anonymous.post(
        TOKEN_URL, {"username": "ALI", "password": factories.PASSWORD}, format="json"
    )
    assert answer.status_code == 401


def test_guesses_in_another_case_count_toward_the_same_limit(anonymous, person, coordinator):
    for attempt in range(LOGIN_LIMIT):
        typed = "aigerim".upper() if attempt % 2 else "Aigerim"
        response = anonymous.post(
            TOKEN_URL, {"username": typed, "password": "guess"}, format="json"
        )
        assert response.status_code == (401 if attempt < LOGIN_LIMIT - 1 else 429)
    response = anonymous.post(
        TOKEN_URL, {"username": "aigerim", "password": factories.PASSWORD}, format="json"
    )
    assert response.status_code == 429
    # A coordinator lifts it, whatever case the guesses came in.
    assert services.member_login_unlock(membership=person.membership, by=coordinator) > 0
    response = anonymous.post(
        TOKEN_URL, {"username": "AIGERIM", "password": factories.PASSWORD}, format="json"
    )
    assert response.status_code == 200


def test_an_inactive_person_gets_no_token(anonymous, person):
    person.is_active = False
    person.save()
    response = anonymous.post(
        TOKEN_URL, {"username": "aigerim", "password": factories.PASSWORD}, format="json"
    )
    assert response.status_code == 401
    assert not AuthToken.objects.exists()


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
    for attempt in range(LOGIN_LIMIT):
        response = anonymous.post(
            TOKEN_URL, {"username": "aigerim", "password": "guess"}, format="json"
        )
        assert response.status_code == (401 if attempt < LOGIN_LIMIT - 1 else 429)

    response = anonymous.post(
        TOKEN_URL, {"username": "aigerim", "password": factories.PASSWORD}, format="json"
    )
    assert response.status_code == 429
    assert int(response["Retry-After"]) > 0
    assert not AuthToken.objects.exists()

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
    for attempt in range(LOGIN_LIMIT):
        response = client.post(url, {"username": "aigerim", "password": "guess"})
        # the form again, with its error; the failure that fills the limit says so
        assert response.status_code == (200 if attempt < LOGIN_LIMIT - 1 else 429)

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
    _row, token = services.auth_token_issue(user=person)
    person.is_active = False
    person.save()
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
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
@pytest.mark.django_db(transaction=True)
def test_parallel_guesses_cannot_slip_past_the_login_throttle():
    """Forty wrong passwords at once from one address: each is counted, under its row's
    lock, before its password is checked, so only the limit's number are checked."""
    import threading

    from django.db import connection

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
    assert len(answers) == 40
    # The limit's number of passwords checked: all wrong, the last of them answered 429
    # as it fills the limit; the others refused unchecked.
    assert answers.count(401) == LOGIN_LIMIT - 1
    assert answers.count(429) == 40 - (LOGIN_LIMIT - 1)
    from axes.models import AccessAttempt

    assert sum(AccessAttempt.objects.values_list("failures_since_start", flat=True)) == (
        LOGIN_LIMIT
    )
