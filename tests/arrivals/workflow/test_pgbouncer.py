"""Matching and registrations through a real PgBouncer in transaction pooling (Debian's
package), as a deployment of several machines runs it: Celery workers and web processes
whose every transaction may get another server connection. The city's matching lock is
a transaction lock, so it is given back with the transaction that took it; a session
lock would stay with a server connection that other clients' transactions then get. And
nothing is prepared on the web's connections (`DATABASE_POOLER=transaction`)."""

import http.client
import json
import os
import shutil
import signal
import subprocess
import tempfile
import threading
import time
import uuid
from pathlib import Path

import psycopg
import pytest
import redis
from django.conf import settings

from accounts.models import Role
from accounts.services import auth_token_issue
from arrivals import services
from arrivals.models import MatchingRun, Party, PartyStatus, RunStatus
from benchmarks.server import Gunicorn
from config.celery import app as celery_app
from tests import factories
from tests.arrivals.workflow.conftest import Worker, _reset_broker_pools
from tests.arrivals.workflow.helpers import assert_consistent, wait_for
from tests.conftest import REQUIRE_SERVICES, redis_url

pytestmark = [pytest.mark.postgres, pytest.mark.redis]

PGBOUNCER = shutil.which("pgbouncer") or "/usr/sbin/pgbouncer"
SERVER_CONNECTIONS = 2  # fewer than the clients: they must share


def _free_port() -> int:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class PgBouncer:
    """`pgbouncer` in transaction pooling in front of the test's PostgreSQL, started as the
    user `nobody` (it refuses to run as root) from a directory of its own."""

    def __init__(self) -> None:
        self.port = _free_port()
        self.directory = Path(tempfile.mkdtemp(prefix="berth-pgbouncer-"))
        self.process: subprocess.Popen | None = None

    def start(self) -> "PgBouncer":
        db = settings.DATABASES["default"]
        host, port = db.get("HOST") or "127.0.0.1", db.get("PORT") or 5432
        self.directory.chmod(0o777)
        users = self.directory / "users.txt"
        users.write_text(f'"{db["USER"]}" "{db.get("PASSWORD") or ""}"\n')
        ini = self.directory / "pgbouncer.ini"
        ini.write_text(
            f"""[databases]
* = host={host} port={port}

[pgbouncer]
listen_addr = 127.0.0.1
listen_port = {self.port}
unix_socket_dir =
auth_type = trust
auth_file = {users}
pool_mode = transaction
default_pool_size = {SERVER_CONNECTIONS}
max_client_conn = 200
logfile = {self.directory / "pgbouncer.log"}
pidfile = {self.directory / "pgbouncer.pid"}
ignore_startup_parameters = extra_float_digits,options
"""
        )
        for path in (users, ini):
            path.chmod(0o644)
        command = [PGBOUNCER, str(ini)]
        if os.geteuid() == 0:
            command[1:1] = ["-u", "nobody"]
        self.process = subprocess.Popen(  # noqa: S603 - Debian's pgbouncer, our config
            command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, start_new_session=True
        )
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            try:
                with psycopg.connect(self.url, connect_timeout=2) as conn:
                    conn.execute("SELECT 1")
                return self
            except psycopg.OperationalError:
                if self.process.poll() is not None:
                    raise RuntimeError(f"pgbouncer exited: {self.process.stderr.read()}") from None
                time.sleep(0.2)
        raise RuntimeError("pgbouncer did not answer")

    @property
    def url(self) -> str:
        db = settings.DATABASES["default"]
        password = f":{db['PASSWORD']}" if db.get("PASSWORD") else ""
        return f"postgres://{db['USER']}{password}@127.0.0.1:{self.port}/{db['NAME']}"

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            self.process.wait(timeout=20)
        shutil.rmtree(self.directory, ignore_errors=True)


@pytest.fixture
def pgbouncer():
    if not Path(PGBOUNCER).exists():
        message = "this test needs pgbouncer (apt-get install pgbouncer)"
        if REQUIRE_SERVICES:
            pytest.fail(message, pytrace=False)
        pytest.skip(message)
    bouncer = PgBouncer().start()
    try:
        yield bouncer
    finally:
        bouncer.stop()


@pytest.fixture
def workers_behind_pgbouncer(transactional_db, pgbouncer, tmp_path):
    """Two Celery workers (separate processes, as on two machines) reaching PostgreSQL only
    through the PgBouncer; tasks go to them through Redis."""
    queue = f"berth-bouncer-{uuid.uuid4().hex[:10]}"
    keys = ("CELERY_TASK_ALWAYS_EAGER", "CELERY_BROKER_URL", "CELERY_TASK_DEFAULT_QUEUE")
    saved = {key: celery_app.conf[key] for key in keys}
    celery_app.conf.update(
        CELERY_TASK_ALWAYS_EAGER=False,
        CELERY_BROKER_URL=redis_url(),
        CELERY_TASK_DEFAULT_QUEUE=queue,
    )
    _reset_broker_pools()
    workers = [Worker(queue, tmp_path / f"worker{n}.log", database=pgbouncer.url) for n in range(2)]
    try:
        for worker in workers:
            worker.start()
        yield workers
    finally:
        for worker in workers:
            worker.stop()
        _reset_broker_pools()
        celery_app.conf.update(saved)


def advisory_locks_held() -> int:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory'")
        return cursor.fetchone()[0]


def test_runs_of_several_cities_through_pgbouncer_place_everyone_once(workers_behind_pgbouncer):
    cities = []
    for _ in range(3):
        city = factories.CityFactory()
        shelter = factories.ShelterFactory(city=city)
        for _ in range(3):
            factories.SpaceFactory(shelter=shelter, beds=4)
        for _ in range(15):  # 15 people, 12 beds
            factories.PartyFactory(city=city)
        cities.append(city)

    # Every city is asked again and again while its runs go on, by turns: the workers'
    # transactions share two server connections.
    for _round in range(4):
        for city in cities:
            services.matching_request(city_id=city.id, trigger="api")
        time.sleep(0.3)

    wait_for(
        lambda: not MatchingRun.objects.filter(
            status__in=[RunStatus.QUEUED, RunStatus.RUNNING]
        ).exists(),
        timeout=120,
        what="every run to finish",
    )
    assert not MatchingRun.objects.filter(status=RunStatus.FAILED).exists()
    for city in cities:
        assert Party.objects.filter(city=city, status=PartyStatus.PLACED).count() == 12
    assert_consistent()
    # Nothing is left locked: each run's lock ended with its transaction.
    assert advisory_locks_held() == 0


def test_a_transaction_lock_is_not_held_by_the_server_connection_afterwards(pgbouncer):
    """What goes wrong with a session lock: behind PgBouncer the unlock may reach another
    server connection, and the lock stays with the first, for whichever client gets it
    next. The transaction lock ends with the transaction, whichever connection it had."""
    key = services._lock_key(uuid.uuid4())
    clients = [psycopg.connect(pgbouncer.url, autocommit=False) for _ in range(4)]
    try:
        for client in clients:
            with client.transaction():
                assert client.execute("SELECT pg_try_advisory_xact_lock(%s)", [key]).fetchone()[0]
        # Every client took the same lock in turn: each gave it back at its commit.
        with psycopg.connect(
            f"host=127.0.0.1 port={settings.DATABASES['default'].get('PORT') or 5432} "
            f"dbname={settings.DATABASES['default']['NAME']} "
            f"user={settings.DATABASES['default']['USER']}"
        ) as direct:
            held = direct.execute(
                "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND objid = %s",
                [key & 0xFFFFFFFF],
            ).fetchone()[0]
        assert held == 0
    finally:
        for client in clients:
            client.close()


def test_registrations_of_web_processes_through_pgbouncer(transactional_db, pgbouncer, tmp_path):
    """The web behind PgBouncer (`DATABASE_POOLER=transaction`), as on several machines:
    gunicorn's threads register parties at once, their transactions sharing two server
    connections. Nothing is prepared there (a statement prepared on one server connection
    is unknown on the next), and every registration is written once."""
    city = factories.CityFactory()
    factories.SpaceFactory(shelter=factories.ShelterFactory(city=city), beds=50)
    volunteer = factories.member(Role.VOLUNTEER, cities=[city])
    _row, token = auth_token_issue(user=volunteer)  # as signing in gives it
    queue = f"berth-bouncer-web-{uuid.uuid4().hex[:10]}"  # the runs asked, never taken
    server = Gunicorn(
        tmp_path,
        settings="config.settings.local",
        migrate=False,
        env={
            "DEBUG": "0",
            "ALLOWED_HOSTS": "127.0.0.1",
            "DATABASE_URL": pgbouncer.url,
            "DATABASE_POOLER": "transaction",
            "REDIS_URL": redis_url(),
            "CELERY_QUEUE": queue,
            # Not what is tested (and another test's person may have had this id within
            # the minute, in the same Redis).
            "THROTTLE_REGISTER_VOLUNTEER_RATE": "1000/min",
            "WEB_CONCURRENCY": "2",
            "GUNICORN_THREADS": "4",
            "LOG_LEVEL": "WARNING",
        },
    )
    answers: list[int] = []
    codes: list[str] = []
    try:
        with server:

            def volunteer_phone(number: int) -> None:
                connection = server.connection(timeout=30)
                for each in range(8):
                    body = {
                        "city": str(city.id),
                        "consent": True,
                        "members": [{"given_name": f"Aru {number}-{each}", "sex": "female"}],
                    }
                    connection.request(
                        "POST",
                        "/api/v1/parties/",
                        body=json.dumps(body),
                        headers={
                            "Authorization": f"Token {token}",
                            "Content-Type": "application/json",
                            "Idempotency-Key": uuid.uuid4().hex,
                        },
                    )
                    answer = connection.getresponse()
                    data = answer.read()
                    answers.append(answer.status)
                    if answer.status == http.client.CREATED:
                        codes.append(json.loads(data)["code"])
                connection.close()

            phones = [threading.Thread(target=volunteer_phone, args=(n,)) for n in range(6)]
            for phone in phones:
                phone.start()
            for phone in phones:
                phone.join()
    finally:
        redis.Redis.from_url(redis_url()).delete(queue)

    assert answers == [http.client.CREATED] * 48, answers
    stored = Party.objects.filter(city=city)
    assert sorted(stored.values_list("code", flat=True)) == sorted(codes)
    assert stored.filter(status=PartyStatus.WAITING).count() == 48
