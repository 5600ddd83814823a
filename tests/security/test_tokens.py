"""Issue 10, item 2: people's tokens are stored only as hashes, end after hours without use,
at a password change (by any path) and at logout (only the calling token), and finding one
costs one query per request, its idle clock written at most once a minute."""

from datetime import timedelta

import pytest
import time_machine
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from knox.models import AuthToken
from rest_framework.test import APIClient

from accounts import services
from accounts.access import access_for_user
from accounts.authentication import token_with_user
from accounts.models import Role
from tests import factories

pytestmark = pytest.mark.django_db

TOKEN_URL = "/api/v1/auth/token/"
ME = "/api/v1/members/me/"


@pytest.fixture
def person(city):
    return factories.member(Role.COORDINATOR, cities=[city], username="dana", is_staff=True)


def sign_in(username="dana", password=factories.PASSWORD) -> dict:
    response = APIClient().post(
        TOKEN_URL, {"username": username, "password": password}, format="json"
    )
    assert response.status_code == 200, response.content
    return response.json()


def with_token(token: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    return client


def test_the_token_answer_has_its_end_and_the_database_holds_no_usable_token(person):
    before = timezone.now()
    answer = sign_in()
    assert set(answer) == {"token", "expires_at"}
    expires_at = parse_datetime(answer["expires_at"])
    assert expires_at is not None and expires_at.tzinfo is not None
    assert before + timedelta(hours=12) <= expires_at <= timezone.now() + timedelta(hours=12)

    token = answer["token"]
    (row,) = AuthToken.objects.filter(user=person)
    stored = [str(value) for value in AuthToken.objects.filter(user=person).values().get().values()]
    assert not any(token in value for value in stored)  # only its digest and a short prefix
    assert len(row.token_key) < len(token) // 4
    assert row.digest != token and len(row.digest) == 128  # SHA-512
    # What the table holds does not sign in: neither the digest nor the prefix.
    for guess in (row.digest, row.digest[:64], row.token_key):
        assert with_token(guess).get(ME).status_code == 401
    assert with_token(token).get(ME).json()["username"] == "dana"


def test_a_token_ends_after_the_idle_time_and_each_use_moves_its_end(person, settings):
    token = sign_in()["token"]
    start = timezone.now()
    with time_machine.travel(start + timedelta(hours=11), tick=False):
        assert with_token(token).get(ME).status_code == 200  # used: 12 hours from now
    with time_machine.travel(start + timedelta(hours=22), tick=False):
        assert with_token(token).get(ME).status_code == 200
    with time_machine.travel(start + timedelta(hours=34, minutes=1), tick=False):
        response = with_token(token).get(ME)
        assert response.status_code == 401
        assert not AuthToken.objects.filter(user=person).exists()  # deleted when shown


def test_the_idle_time_is_a_setting(person, settings):
    settings.REST_KNOX = {**settings.REST_KNOX, "TOKEN_TTL": timedelta(minutes=30)}
    answer = sign_in()
    assert parse_datetime(answer["expires_at"]) <= timezone.now() + timedelta(minutes=30)
    with time_machine.travel(timezone.now() + timedelta(minutes=31), tick=False):
        assert with_token(answer["token"]).get(ME).status_code == 401


@pytest.mark.parametrize("path", ["set_password", "changepassword", "admin", "sql"])
def test_a_password_change_ends_every_token(person, path, monkeypatch):
    first, second = sign_in()["token"], sign_in()["token"]
    other = factories.member(Role.VOLUNTEER, username="other")
    other_token = sign_in("other")["token"]
    new_password = "a-new-and-long-passphrase"
    if path == "set_password":
        person.set_password(new_password)
        person.save()
    elif path == "changepassword":
        monkeypatch.setattr("getpass.getpass", lambda prompt=None: new_password)
        call_command("changepassword", "dana", stdout=None)
    elif path == "admin":
        superuser = factories.UserFactory(is_superuser=True, is_staff=True)
        browser = Client()
        browser.force_login(superuser)
        response = browser.post(
            f"/admin/auth/user/{person.pk}/password/",
            {"password1": new_password, "password2": new_password},
        )
        assert response.status_code == 302, response.content[:500]
    else:  # a hash written by hand
        from django.contrib.auth.hashers import make_password

        user = get_user_model().objects.get(pk=person.pk)
        user.password = make_password(new_password)
        user.save()
    for token in (first, second):
        assert with_token(token).get(ME).status_code == 401
    assert not AuthToken.objects.filter(user=person).exists()
    assert with_token(other_token).get(ME).status_code == 200  # another person's stays
    assert with_token(sign_in(password=new_password)["token"]).get(ME).status_code == 200
    assert other.auth_token_set.count() == 1


def test_signing_in_and_rehashing_the_password_end_no_token(person, settings):
    token = sign_in()["token"]
    # A stronger hasher: the next sign-in rehashes the password (same password).
    settings.PASSWORD_HASHERS = [
        "django.contrib.auth.hashers.PBKDF2PasswordHasher",
        "django.contrib.auth.hashers.MD5PasswordHasher",
    ]
    second = sign_in()["token"]
    person.refresh_from_db()
    assert person.password.startswith("pbkdf2_")
    assert with_token(token).get(ME).status_code == 200
    assert with_token(second).get(ME).status_code == 200


def test_logout_ends_only_the_calling_token(person):
    phone, laptop = sign_in()["token"], sign_in()["token"]
    response = with_token(phone).post("/api/v1/auth/logout/")
    assert response.status_code == 204
    assert with_token(phone).get(ME).status_code == 401
    assert with_token(phone).post("/api/v1/auth/logout/").status_code == 401
    assert with_token(laptop).get(ME).status_code == 200
    assert AuthToken.objects.filter(user=person).count() == 1


def test_logout_all_ends_every_token_of_the_caller_only(person):
    phone, laptop = sign_in()["token"], sign_in()["token"]
    factories.member(Role.VOLUNTEER, username="other")
    other = sign_in("other")["token"]
    assert with_token(phone).post("/api/v1/auth/logout-all/").status_code == 204
    assert with_token(phone).get(ME).status_code == 401
    assert with_token(laptop).get(ME).status_code == 401
    assert with_token(other).get(ME).status_code == 200


def test_logout_needs_a_token_or_session_not_an_api_key(person, city):
    _key, secret = services.api_key_create(
        name="bot", scopes=["capacity:read"], cities=[city], created_by=person
    )
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Api-Key {secret}")
    refused = client.post("/api/v1/auth/logout/")
    assert refused.status_code == 401
    # Credentials were sent: the answer says how to send them, not that none were.
    assert "not read here" in refused.json()["detail"] and refused["WWW-Authenticate"]
    nothing = APIClient().post("/api/v1/auth/logout/")
    assert nothing.status_code == 401
    assert nothing.json()["detail"] == "Authentication credentials were not provided."


def test_a_bearer_token_is_told_how_berth_reads_a_token(person, city):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION="Bearer 0123456789abcdef")
    refused = client.get(ME)
    assert refused.status_code == 401
    assert "“Token <token>”" in refused.json()["detail"]


def test_logout_of_a_session_ends_the_session(person):
    browser = Client(enforce_csrf_checks=False)
    browser.force_login(person)
    assert browser.post("/api/v1/auth/logout/").status_code == 204
    assert "_auth_user_id" not in browser.session


def test_a_person_keeps_a_bounded_number_of_tokens(person, settings):
    settings.BERTH_TOKENS_PER_PERSON = 3
    tokens = [sign_in()["token"] for _ in range(5)]
    assert AuthToken.objects.filter(user=person).count() == 3
    assert [with_token(token).get(ME).status_code for token in tokens] == [401, 401, 200, 200, 200]


def queries_of(client, url) -> list[str]:
    with CaptureQueriesContext(connection) as context:
        assert client.get(url).status_code == 200
    return [query["sql"] for query in context.captured_queries]


def test_a_token_costs_one_query_and_its_refresh_one_write_a_minute(person, city):
    """The registration hot path: finding the token and its person is one SELECT (on
    PostgreSQL the one that reads their membership too, so the membership's own query is
    not made); the idle clock is written at most once a minute per token, never on every
    request."""
    token = sign_in()["token"]
    url = f"/api/v1/capacity/?city={city.id}"
    baseline = APIClient()
    # The same request authenticated without a token, the person read afresh as a token
    # reads them (so their role is looked up as it is then).
    baseline.force_authenticate(get_user_model().objects.get(pk=person.pk))
    queries_of(baseline, url)  # warm
    baseline.force_authenticate(get_user_model().objects.get(pk=person.pk))
    without_token = queries_of(baseline, url)
    client = with_token(token)
    queries_of(client, url)

    with_token_queries = queries_of(client, url)
    extra = [sql for sql in with_token_queries if "knox_authtoken" in sql]
    membership = "FROM accounts_membership m WHERE"
    if connection.vendor == "postgresql":
        assert any(membership in sql for sql in without_token)
        assert not any(membership in sql for sql in with_token_queries)
        assert "accounts_membership m" in extra[0]
        added = 0
    else:
        added = 1
    assert len(with_token_queries) == len(without_token) + added
    assert len(extra) == 1 and extra[0].lstrip().upper().startswith("SELECT")

    start = timezone.now()
    with time_machine.travel(start + timedelta(seconds=59), tick=False):
        assert len(queries_of(client, url)) == len(without_token) + added
    with time_machine.travel(start + timedelta(seconds=61), tick=False):
        refreshed = queries_of(client, url)
        writes = [sql for sql in refreshed if sql.lstrip().upper().startswith("UPDATE")]
        assert len(refreshed) == len(without_token) + added + 1
        assert len(writes) == 1 and "knox_authtoken" in writes[0]
        assert len(queries_of(client, url)) == len(without_token) + added  # not again
    row = AuthToken.objects.get(user=person)
    assert row.expiry >= start + timedelta(seconds=61) + timedelta(hours=12) - timedelta(seconds=1)


def test_the_openapi_document_describes_tokens_and_logout(anonymous):
    import yaml

    schema = yaml.safe_load(anonymous.get("/api/schema/").content)
    token = schema["paths"]["/api/v1/auth/token/"]["post"]["responses"]["200"]
    ref = token["content"]["application/json"]["schema"]["$ref"].rsplit("/", 1)[-1]
    assert set(schema["components"]["schemas"][ref]["required"]) == {"token", "expires_at"}
    for path in ("/api/v1/auth/logout/", "/api/v1/auth/logout-all/"):
        assert "204" in schema["paths"][path]["post"]["responses"]
    assert "post" in schema["paths"]["/api/v1/members/{id}/unlock/"]
    scheme = schema["components"]["securitySchemes"]["tokenAuth"]
    assert scheme["in"] == "header" and scheme["name"] == "Authorization"


def test_the_daily_purge_deletes_ended_tokens_and_old_failures(person, settings):
    from axes.models import AccessAttempt

    from accounts.tasks import sign_in_records_purge

    live, ended = sign_in()["token"], sign_in()["token"]
    AuthToken.objects.filter(token_key=ended[:15]).update(expiry=timezone.now())
    APIClient().post(TOKEN_URL, {"username": "dana", "password": "wrong"}, format="json")
    AccessAttempt.objects.update(attempt_time=timezone.now() - timedelta(hours=1))
    assert sign_in_records_purge.delay().get() == 2
    assert list(AuthToken.objects.values_list("token_key", flat=True)) == [live[:15]]
    assert not AccessAttempt.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_the_upgrade_drops_the_plaintext_tokens_table():
    """accounts.0003 drops DRF's authtoken_token, with its migrations and content type."""
    import importlib

    from django.apps import apps
    from django.contrib.contenttypes.models import ContentType

    migration = importlib.import_module("accounts.migrations.0003_drop_plaintext_tokens")
    user = factories.UserFactory()
    with connection.cursor() as cursor:
        cursor.execute(
            "CREATE TABLE authtoken_token (key varchar(40) PRIMARY KEY, created timestamp, "
            "user_id integer NOT NULL)"
        )
        cursor.execute(
            "INSERT INTO authtoken_token VALUES ('9944b09199c62bcf9418ad846dd0e4bbdfc6ee4b', "
            "CURRENT_TIMESTAMP, %s)",
            [user.pk],
        )
        cursor.execute(
            "INSERT INTO django_migrations (app, name, applied) "
            "VALUES ('authtoken', '0001_initial', CURRENT_TIMESTAMP)"
        )
    ContentType.objects.create(app_label="authtoken", model="token")
    with connection.schema_editor() as editor:
        migration.drop_plaintext_tokens(apps, editor)
    assert "authtoken_token" not in connection.introspection.table_names()
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM django_migrations WHERE app = 'authtoken'")
        assert cursor.fetchone()[0] == 0
    assert not ContentType.objects.filter(app_label="authtoken").exists()
    # Run again (a database that never had the table): nothing to do, no error.
    with connection.schema_editor() as editor:
        migration.drop_plaintext_tokens(apps, editor)


def test_a_token_is_found_with_its_person_as_the_orm_reads_them(person):
    """`token_with_user` writes the lookup out on PostgreSQL: the token and its person
    come back with every field as the ORM reads them, and no further query for the person."""
    row, _token = services.auth_token_issue(user=person)
    expected = AuthToken.objects.select_related("user").get(digest=row.digest)

    with CaptureQueriesContext(connection) as queries:
        found = token_with_user(row.digest)
        assert found is not None
        user = found.user
    assert len(queries) == 1
    for field in AuthToken._meta.concrete_fields:
        assert getattr(found, field.attname) == getattr(expected, field.attname), field.name
    for field in get_user_model()._meta.concrete_fields:
        assert getattr(user, field.attname) == getattr(expected.user, field.attname), field.name
    assert token_with_user("0" * 128) is None


@pytest.mark.parametrize(
    "role", [Role.COORDINATOR, Role.VOLUNTEER, Role.SHELTER_MANAGER, None, "superuser"]
)
def test_the_access_read_with_a_token_is_the_persons(role, city, other_city):
    """On PostgreSQL the token's statement reads the person's membership too: the access
    it gives is what `access_for_user` reads for them on its own (role, cities, the
    shelters of a manager and their cities; none without a membership)."""
    places = {"shelters": [factories.ShelterFactory(city=other_city)]}
    if role != Role.SHELTER_MANAGER:
        places = {"cities": [city, other_city]}
    if role in (None, "superuser"):
        user = factories.UserFactory(is_superuser=role == "superuser")
    else:
        user = factories.member(role, **places)
    row, _token = services.auth_token_issue(user=user)

    found = token_with_user(row.digest)
    assert found is not None
    with CaptureQueriesContext(connection) as queries:
        access = access_for_user(found.user)
    expected = access_for_user(get_user_model().objects.get(pk=user.pk))
    assert access == expected
    if connection.vendor == "postgresql":
        assert len(queries) == 0
    if role == Role.SHELTER_MANAGER:
        assert access.city_ids == {other_city.id} and len(access.shelter_ids) == 1
    elif role in (Role.COORDINATOR, Role.VOLUNTEER):
        assert access.city_ids == {city.id, other_city.id} and access.role == role
    else:
        assert access.role is None and access.is_superuser == (role == "superuser")


def test_answers_with_a_secret_shown_once_are_never_cached(coordinator, coordinator_client, city):
    """A token, an API key, a webhook's secret: `Cache-Control: no-store`, so that no
    shared or browser cache keeps them."""
    token = APIClient().post(
        "/api/v1/auth/token/",
        {"username": coordinator.username, "password": factories.PASSWORD},
        format="json",
    )
    key = coordinator_client.post(
        "/api/v1/api-keys/",
        {"name": "Bot", "city": str(city.id), "scopes": ["capacity:read"]},
        format="json",
    )
    hook = coordinator_client.post(
        "/api/v1/webhooks/",
        {"city": str(city.id), "url": "https://example.org/hook", "events": ["party.registered"]},
        format="json",
    )
    for answer, secret in ((token, "token"), (key, "key"), (hook, "secret")):
        assert answer.status_code in (200, 201), answer.content
        assert secret in answer.json()
        assert answer["Cache-Control"] == "no-store"
