"""Issue 10, item 7: a database or broker out of reach answers 503 with Retry-After, never a
500; tasks that fail on a dead connection are retried with backoff; a Redis that hangs
costs a registration a bounded time, and the party is kept."""

import socket
import threading
import time

import psycopg
import pytest
from django.db import OperationalError, connection
from django.test import Client
from rest_framework.test import APIClient

from accounts.models import Role
from arrivals import services, tasks
from arrivals.models import MatchingRun, Party, PartyStatus, RunStatus
from config.celery import RELIABLE
from config.celery import app as celery_app
from config.settings.base import redis_cache
from tests import factories
from tests.arrivals.workflow.conftest import _reset_broker_pools
from tests.arrivals.workflow.helpers import wait_for
from tests.conftest import client_for


def assert_api_503(answer) -> None:
    assert answer.status_code == 503, answer.content
    assert answer["Content-Type"] == "application/json"
    assert answer.json()["code"] == "service_unavailable"
    assert answer.json()["detail"]
    assert int(answer["Retry-After"]) > 0


def assert_page_503(answer) -> None:
    assert answer.status_code == 503, answer.content[:500]
    assert answer["Content-Type"].startswith("text/html")
    assert "<h1>Temporarily unavailable</h1>" in answer.content.decode()
    assert int(answer["Retry-After"]) > 0


def _other_connection() -> psycopg.Connection:
    db = connection.settings_dict
    return psycopg.connect(
        dbname=db["NAME"],
        user=db["USER"],
        password=db.get("PASSWORD") or None,
        host=db.get("HOST") or "127.0.0.1",
        port=db.get("PORT") or 5432,
        autocommit=True,
    )


def terminate(pids: list[int]) -> None:
    """pg_terminate_backend, from a connection of its own, and wait until they are gone."""
    with _other_connection() as other:
        for pid in pids:
            other.execute("SELECT pg_terminate_backend(%s)", [pid])
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            alive = other.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE pid = ANY(%s)", [pids]
            ).fetchone()[0]
            if not alive:
                return
            time.sleep(0.05)
    raise AssertionError(f"backends {pids} still alive")


@pytest.fixture
def killed_connection():
    """Kills this test's own database connection; the next query finds it dead."""

    def kill() -> None:
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_backend_pid()")
            pid = cursor.fetchone()[0]
        terminate([pid])

    try:
        yield kill
    finally:
        connection.close()  # the next test connects anew


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_api_answers_503_when_the_database_connection_is_killed(volunteer, killed_connection):
    api = client_for(volunteer)
    killed_connection()
    assert_api_503(api.get("/api/v1/parties/"))


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_pages_answer_503_when_the_database_connection_is_killed(volunteer, killed_connection):
    client = Client(raise_request_exception=False)
    client.force_login(volunteer)
    killed_connection()
    # The session is read (from the dead database) before any view runs.
    assert_page_503(client.get("/"))


@pytest.fixture
def database_fails(monkeypatch):
    """Failure injector for SQLite runs: from the call on, every new cursor raises."""

    def inject(error: Exception) -> None:
        def fail(*args, **kwargs):
            raise error

        monkeypatch.setattr(connection, "ensure_connection", fail)

    return inject


REFUSED = OperationalError("connection to server at 127.0.0.1, port 5432 failed: refused")


@pytest.mark.django_db
def test_api_and_pages_answer_503_when_the_database_refuses(volunteer, database_fails):
    api = client_for(volunteer)
    page = Client(raise_request_exception=False)
    page.force_login(volunteer)
    database_fails(REFUSED)
    assert_api_503(api.get("/api/v1/shelters/"))
    credentials = {"username": "a", "password": "b"}
    assert_api_503(APIClient().post("/api/v1/auth/token/", credentials, format="json"))
    assert_page_503(page.get("/"))
    login = Client(raise_request_exception=False)
    assert_page_503(login.post("/accounts/login/", credentials))


@pytest.mark.django_db
def test_any_other_error_is_still_a_500(database_fails):
    database_fails(RuntimeError("a bug"))
    answer = Client(raise_request_exception=False).post(
        "/accounts/login/", {"username": "a", "password": "b"}
    )
    assert answer.status_code == 500
    assert "Retry-After" not in answer


# --- A Redis that accepts connections and never answers ---------------------------------------


@pytest.fixture
def hung_redis():
    """A TCP server on a free loopback port that accepts and never answers. After 15 s it
    hangs up, so that a call without a timeout fails the test instead of hanging it."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(64)
    held = []
    stop = threading.Event()

    def hang_up() -> None:
        for sock in list(held):
            sock.close()

    def accept() -> None:
        server.settimeout(0.2)
        while not stop.is_set():
            try:
                held.append(server.accept()[0])
            except TimeoutError:
                continue
            except OSError:
                return

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    watchdog = threading.Timer(15, hang_up)
    watchdog.start()
    try:
        yield f"redis://127.0.0.1:{server.getsockname()[1]}/0"
    finally:
        watchdog.cancel()
        stop.set()
        thread.join(timeout=5)
        hang_up()
        server.close()


@pytest.fixture
def redis_hangs(hung_redis, settings):
    """The cache and the broker are the hung Redis, with the settings' timeouts."""
    settings.CACHES = {"default": redis_cache(hung_redis)}
    keys = ("CELERY_TASK_ALWAYS_EAGER", "CELERY_BROKER_URL")
    saved = {key: celery_app.conf[key] for key in keys}
    celery_app.conf.update(CELERY_TASK_ALWAYS_EAGER=False, CELERY_BROKER_URL=hung_redis)
    _reset_broker_pools()
    try:
        yield
    finally:
        _reset_broker_pools()
        celery_app.conf.update(saved)


@pytest.mark.django_db(transaction=True)
def test_a_registration_answers_in_time_when_redis_hangs(redis_hangs):
    city = factories.CityFactory()
    factories.SpaceFactory(shelter=factories.ShelterFactory(city=city), beds=5)
    volunteer = client_for(factories.member(Role.VOLUNTEER, cities=[city]))
    started = time.monotonic()
    answer = volunteer.post(
        "/api/v1/parties/",
        {"city": str(city.id), "consent": True, "members": [{"given_name": "Arman"}]},
        format="json",
    )
    elapsed = time.monotonic() - started
    assert answer.status_code == 201, answer.content
    # The throttle's cache call and the publish each gave up after their timeout (0.5 s):
    # about a second in all. The bound here only proves that they are bounded (the issue:
    # 17.8 s), with room for a busy machine.
    assert elapsed < 5, elapsed
    party = Party.objects.get(id=answer.json()["id"])
    assert party.status == PartyStatus.WAITING
    # The run is asked for and kept: the timer sends it again when Redis answers.
    assert MatchingRun.objects.filter(city=city, status=RunStatus.QUEUED).exists()


# --- Tasks retried on connection errors ------------------------------------------------------


def test_the_shared_task_options_retry_connection_errors_with_backoff():
    assert OperationalError in RELIABLE["autoretry_for"]
    assert RELIABLE["retry_backoff"] is True and RELIABLE["retry_jitter"] is True
    assert RELIABLE["max_retries"] >= 5
    ours = [
        task
        for name, task in celery_app.tasks.items()
        if name.split(".")[0] in {"arrivals", "meals", "idempotency", "shelters", "accounts"}
    ]
    assert ours
    for task in ours:
        assert OperationalError in task.autoretry_for, task.name
        assert task.retry_backoff and task.retry_jitter, task.name


@pytest.mark.django_db(transaction=True)
def test_a_task_that_fails_on_the_database_is_run_again(monkeypatch):
    """Failure injector: the first run's service meets a dropped connection."""
    city = factories.CityFactory()
    run = MatchingRun.objects.create(city=city, trigger="test")
    real = services.matching_run_execute
    calls = []

    def first_fails(**kwargs):
        calls.append(kwargs)
        if len(calls) == 1:
            raise OperationalError("server closed the connection unexpectedly")
        return real(**kwargs)

    monkeypatch.setattr(services, "matching_run_execute", first_fails)
    result = tasks.matching_run.apply(args=[str(run.id)], throw=False)
    assert result.successful()
    assert len(calls) == 2
    run.refresh_from_db()
    assert run.status == RunStatus.DONE


@pytest.mark.postgres
@pytest.mark.redis
def test_the_worker_retries_a_task_whose_connection_was_killed(live_worker):
    city = factories.CityFactory()
    factories.SpaceFactory(shelter=factories.ShelterFactory(city=city), beds=10)
    api = client_for(factories.member(Role.VOLUNTEER, cities=[city]))

    def register(name: str) -> str:
        answer = api.post(
            "/api/v1/parties/",
            {"city": str(city.id), "consent": True, "members": [{"given_name": name}]},
            format="json",
        )
        assert answer.status_code == 201, answer.content
        return answer.json()["id"]

    def placed(party: str) -> bool:
        return Party.objects.get(id=party).status == PartyStatus.PLACED

    first = register("Aigul")
    wait_for(lambda: placed(first), what="the first party placed (the worker is connected)")
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pid FROM pg_stat_activity WHERE datname = current_database() "
            "AND pid <> pg_backend_pid()"
        )
        workers = [row[0] for row in cursor.fetchall()]
    assert workers
    terminate(workers)  # the worker's connection dies while it waits for work
    second = register("Timur")
    # Without the retry the party would wait for the minute timer (not running here).
    wait_for(lambda: placed(second), timeout=30, what="the second party placed after a retry")
    log = live_worker.log.read_text()
    assert "retry: Retry in" in log
    assert "OperationalError" in log


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_writers_that_collide_answer_409_concurrent_change_not_503(city, coordinator):
    # Another writer holds the space; this request's lock wait is cut short as a deadlock
    # or a lock_timeout would cut it: the database is there, the same request again works.
    space = factories.SpaceFactory(shelter__city=city, beds=10)
    api = client_for(coordinator)
    with _other_connection() as other, other.transaction():
        other.execute("SELECT 1 FROM shelters_space WHERE id = %s FOR UPDATE", [space.id])
        with connection.cursor() as cursor:
            cursor.execute("SET lock_timeout = '200ms'")
        try:
            answer = api.patch(f"/api/v1/spaces/{space.id}/", {"beds": 12}, format="json")
        finally:
            with connection.cursor() as cursor:
                cursor.execute("RESET lock_timeout")
    assert answer.status_code == 409, answer.content
    assert answer.json()["code"] == "concurrent_change"
    space.refresh_from_db()
    assert space.beds == 10
    assert api.patch(f"/api/v1/spaces/{space.id}/", {"beds": 12}, format="json").status_code == 200
