"""A real Celery worker on Redis, working on the test's PostgreSQL database."""

import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import kombu.pools
import pytest
from django.conf import settings

from config.celery import app as celery_app
from tests.conftest import redis_url

REPO = Path(__file__).resolve().parents[3]


def database_url() -> str:
    db = settings.DATABASES["default"]
    password = f":{db['PASSWORD']}" if db.get("PASSWORD") else ""
    return (
        f"postgres://{db['USER']}{password}@{db.get('HOST') or '127.0.0.1'}:"
        f"{db.get('PORT') or 5432}/{db['NAME']}"
    )


class Worker:
    """`celery -A config worker` in a subprocess, consuming one private queue."""

    def __init__(self, queue: str, log: Path, *, database: str | None = None) -> None:
        self.queue = queue
        self.log = log
        self.database = database  # another way to the test database (a PgBouncer)
        self.process: subprocess.Popen | None = None

    def start(self, timeout: float = 60) -> None:
        env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "config.settings.local",
            "DEBUG": "0",
            "DATABASE_URL": self.database or database_url(),
            "DATABASE_POOLER": "transaction" if self.database else "",
            "REDIS_URL": redis_url(),
            "CELERY_QUEUE": self.queue,
        }
        offset = self.log.stat().st_size if self.log.exists() else 0
        self.process = subprocess.Popen(  # noqa: S603 - our own worker, fixed arguments
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "config",
                "worker",
                "--pool=solo",
                "-Q",
                self.queue,
                "-n",
                f"{self.queue}-{uuid.uuid4().hex[:6]}@%h",
                "--without-gossip",
                "--without-mingle",
                "--without-heartbeat",
                "--loglevel=INFO",
            ],
            cwd=REPO,
            env=env,
            stdout=self.log.open("ab"),
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"worker exited: {self.log.read_text()[-3000:]}")
            if b"ready." in self.log.read_bytes()[offset:]:
                return
            time.sleep(0.2)
        raise RuntimeError(f"worker not ready: {self.log.read_text()[-3000:]}")

    def kill(self) -> None:
        """SIGKILL, as a crash or an out-of-memory kill would."""
        if self.process and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=10)

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.kill()


def _reset_broker_pools() -> None:
    """Forget broker connections made under another broker_url (kombu keeps global pools)."""
    kombu.pools.reset()
    celery_app._pool = None
    celery_app.amqp._producer_pool = None


@pytest.fixture
def live_worker(transactional_db, tmp_path):
    """Tasks of this test go through Redis to a real worker (not in-process)."""
    queue = f"berth-test-{uuid.uuid4().hex[:10]}"
    # The app reads Django settings under the CELERY_ namespace: override those names.
    keys = ("CELERY_TASK_ALWAYS_EAGER", "CELERY_BROKER_URL", "CELERY_TASK_DEFAULT_QUEUE")
    saved = {key: celery_app.conf[key] for key in keys}
    celery_app.conf.update(
        CELERY_TASK_ALWAYS_EAGER=False,
        CELERY_BROKER_URL=redis_url(),
        CELERY_TASK_DEFAULT_QUEUE=queue,
    )
    assert not celery_app.conf.task_always_eager
    _reset_broker_pools()
    worker = Worker(queue, tmp_path / "worker.log")
    worker.start()
    try:
        yield worker
    finally:
        worker.stop()
        _reset_broker_pools()
        celery_app.conf.update(saved)
