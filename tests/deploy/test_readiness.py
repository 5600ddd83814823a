"""GET /readyz: the database, the broker, a worker answering a ping, beat ticking."""

import time

import pytest
from celery.beat import PersistentScheduler
from django.core.cache import cache
from django.db import OperationalError

import config.health
from config.beat import Scheduler, beat_tick_record
from config.celery import app as celery_app
from config.metrics import BEAT_TICK_KEY
from tests.arrivals.workflow.conftest import live_worker  # noqa: F401 - a fixture

pytestmark = pytest.mark.django_db

READY_IN_PROCESS = {
    "status": "ok",
    "database": "ok",
    "broker": "skipped",
    "worker": "skipped",
    "beat": "ok",
}


@pytest.fixture(autouse=True)
def _fresh_answer():
    config.health._ready_cache.clear()
    yield
    config.health._ready_cache.clear()


class BrokenConnection:
    def cursor(self):
        raise OperationalError("could not connect to server")


def test_ready_without_a_broker_when_beat_ticks(anonymous):
    """Tasks in-process (no REDIS_URL): no broker or worker to ask."""
    beat_tick_record()
    response = anonymous.get("/readyz")
    assert response.status_code == 200
    assert response.json() == READY_IN_PROCESS
    assert "no-store" in response["Cache-Control"]


def test_beat_that_never_ticked_is_not_ready(anonymous):
    response = anonymous.get("/readyz")
    assert response.status_code == 503
    assert response.json()["beat"] == "error"
    assert response.json()["status"] == "error"


def test_beat_that_stopped_ticking_is_not_ready(anonymous, settings):
    beat_tick_record(now=time.time() - settings.BEAT_TICK_MAX_AGE_SECONDS - 5)
    assert anonymous.get("/readyz").json()["beat"] == "error"


def test_database_down_is_named(anonymous, monkeypatch):
    beat_tick_record()
    monkeypatch.setattr(config.health, "connection", BrokenConnection())
    response = anonymous.get("/readyz")
    assert response.status_code == 503
    assert response.json() == {**READY_IN_PROCESS, "status": "error", "database": "error"}


def test_the_answer_is_kept_for_a_few_seconds(anonymous, settings):
    settings.READINESS_CACHE_SECONDS = 60
    assert anonymous.get("/readyz").status_code == 503
    beat_tick_record()
    assert anonymous.get("/readyz").status_code == 503
    settings.READINESS_CACHE_SECONDS = 0
    assert anonymous.get("/readyz").status_code == 200


def test_beat_records_each_tick(monkeypatch, settings):
    monkeypatch.setattr(PersistentScheduler, "tick", lambda self, *args, **kwargs: 7.5)
    scheduler = Scheduler(app=celery_app, lazy=True)
    before = time.time()
    assert scheduler.tick() == 7.5
    assert before <= cache.get(BEAT_TICK_KEY) <= time.time()


def test_the_beat_scheduler_and_its_interval_are_configured():
    assert celery_app.conf.beat_scheduler == "config.beat:Scheduler"
    assert celery_app.conf.beat_max_loop_interval == 60


def test_writes_are_refused(anonymous):
    assert anonymous.post("/readyz", {}, format="json").status_code == 405


@pytest.mark.postgres
@pytest.mark.redis
def test_a_live_worker_answers_and_a_dead_one_does_not(live_worker, anonymous):  # noqa: F811
    beat_tick_record()
    response = anonymous.get("/readyz")
    assert response.json() == {**READY_IN_PROCESS, "broker": "ok", "worker": "ok"}
    assert response.status_code == 200

    live_worker.stop()
    config.health._ready_cache.clear()
    response = anonymous.get("/readyz")
    assert response.status_code == 503
    assert response.json() == {
        **READY_IN_PROCESS,
        "status": "error",
        "broker": "ok",
        "worker": "error",
    }


@pytest.mark.redis
def test_a_broker_out_of_reach_is_named(anonymous, settings, monkeypatch):
    beat_tick_record()
    # The app reads Django settings under the CELERY_ namespace: override those names.
    monkeypatch.setitem(celery_app.conf, "CELERY_TASK_ALWAYS_EAGER", False)
    monkeypatch.setitem(celery_app.conf, "CELERY_BROKER_URL", "redis://127.0.0.1:1/0")
    monkeypatch.setattr(celery_app, "_pool", None)
    settings.READINESS_TIMEOUT_SECONDS = 0.5
    started = time.monotonic()
    response = anonymous.get("/readyz")
    assert response.status_code == 503
    body = response.json()
    assert body["broker"] == "error"
    assert body["worker"] == "error"
    assert time.monotonic() - started < 10
