"""GET /api/v1/capacity/history/: the hourly snapshots the beat task writes, by hour or by
day, scoped to the caller; bad parameters answer 400."""

import time
from datetime import UTC, datetime, timedelta

import pytest
from django.conf import settings

from arrivals import tasks
from arrivals.models import CapacitySnapshot
from arrivals.services import capacity_snapshots_record
from shelters.models import ShelterStatus
from tests import factories
from tests.arrivals.workflow.conftest import live_worker  # noqa: F401 - a fixture

from .helpers import set_counters

pytestmark = pytest.mark.django_db

URL = "/api/v1/capacity/history/"
T0 = datetime(2026, 12, 1, 0, 0, tzinfo=UTC)


@pytest.fixture
def beds(city, other_city):
    open_space = factories.SpaceFactory(shelter=factories.ShelterFactory(city=city), beds=50)
    closed = factories.ShelterFactory(city=city, status=ShelterStatus.CLOSED)
    closed_space = factories.SpaceFactory(shelter=closed, beds=30)
    set_counters(open_space, held=5, occupied=20)
    set_counters(closed_space, occupied=10)
    factories.SpaceFactory(shelter=factories.ShelterFactory(city=other_city), beds=999)
    factories.PartyFactory(city=city, size=2, members=[{"given_name": "A"}, {"given_name": "B"}])
    return open_space


def test_a_snapshot_holds_the_figures_of_every_city(city, other_city, beds):
    empty_city = factories.CityFactory()
    assert capacity_snapshots_record(at=T0 + timedelta(minutes=42)) == 3
    snapshot = CapacitySnapshot.objects.get(city=city)
    assert snapshot.at == T0
    assert (snapshot.beds, snapshot.beds_held, snapshot.beds_occupied) == (80, 5, 30)
    assert snapshot.beds_free == 45  # as GET /capacity/: closed shelters too
    assert snapshot.beds_free_open == 25
    assert (snapshot.waiting_parties, snapshot.waiting_people) == (1, 2)
    assert CapacitySnapshot.objects.get(city=other_city).beds == 999
    assert CapacitySnapshot.objects.get(city=empty_city).beds == 0


def test_twice_in_an_hour_keeps_one_snapshot_with_the_latest_figures(city, beds):
    capacity_snapshots_record(at=T0)
    set_counters(beds, held=-5, occupied=-20)
    capacity_snapshots_record(at=T0 + timedelta(minutes=59))
    snapshots = CapacitySnapshot.objects.filter(city=city)
    assert snapshots.count() == 1 and snapshots.get().beds_free_open == 50


def test_the_beat_task_runs_every_hour(city, beds):
    schedule = settings.CELERY_BEAT_SCHEDULE["capacity-snapshots"]
    assert schedule["task"] == "arrivals.tasks.capacity_snapshots_record"
    assert schedule["schedule"].minute == {0} and len(schedule["schedule"].hour) == 24
    assert tasks.capacity_snapshots_record.delay().get(timeout=30) >= 1
    assert CapacitySnapshot.objects.filter(city=city).exists()


def _fill(city, hours: int):
    for hour in range(hours):
        CapacitySnapshot.objects.create(
            city=city,
            at=T0 + timedelta(hours=hour),
            beds=100,
            beds_free=hour,
            beds_free_open=hour,
            beds_held=0,
            beds_occupied=100 - hour,
            waiting_parties=1,
            waiting_people=hour,
        )


def test_hourly_history_is_paginated_and_in_order(coordinator_client, city):
    _fill(city, 60)
    answer = coordinator_client.get(
        URL,
        {"city": str(city.pk), "from": "2026-12-01T00:00:00Z", "to": "2026-12-03T11:00:00Z"},
    )
    assert answer.status_code == 200, answer.content
    body = answer.json()
    assert body["count"] == 60 and body["next"] and len(body["results"]) == 50
    first = body["results"][0]
    assert set(first) >= {
        "at",
        "beds",
        "beds_free",
        "beds_held",
        "beds_occupied",
        "waiting_parties",
        "waiting_people",
    }
    assert first["at"].startswith("2026-12-01T") and first["beds_free"] == 0
    ats = [row["at"] for row in body["results"]]
    assert ats == sorted(ats)
    window = coordinator_client.get(
        URL,
        {"city": str(city.pk), "from": "2026-12-01T10:00:00Z", "to": "2026-12-01T12:00:00Z"},
    ).json()
    assert [row["beds_free"] for row in window["results"]] == [10, 11, 12]


@pytest.mark.parametrize("offset", ["%2B05:00", "+05:00", "+0500", "+05"])
def test_an_offset_s_plus_sent_bare_in_the_query_string_is_read_as_plus(
    coordinator_client, city, offset
):
    # Typed into a URL, `+` is a space once decoded: it can only have meant the offset.
    _fill(city, 24)
    query = f"city={city.pk}&from=2026-12-01T15:00:00{offset}&to=2026-12-01T17:00:00{offset}"
    answer = coordinator_client.get(f"{URL}?{query}")
    assert answer.status_code == 200, answer.content
    assert [row["beds_free"] for row in answer.json()["results"]] == [10, 11, 12]


def test_daily_history_is_the_last_snapshot_of_each_local_day(coordinator_client, city):
    # The city is at UTC+5 (Asia/Oral): its day 2026-12-01 ends at 19:00 UTC.
    _fill(city, 48)
    body = coordinator_client.get(
        URL,
        {
            "city": str(city.pk),
            "from": "2026-11-30T00:00:00Z",
            "to": "2026-12-03T00:00:00Z",
            "interval": "day",
        },
    ).json()
    assert [row["beds_free"] for row in body["results"]] == [18, 42, 47]


def test_default_window_is_the_last_seven_days(coordinator_client, city):
    capacity_snapshots_record()
    CapacitySnapshot.objects.create(
        city=city,
        at=T0 - timedelta(days=30),
        beds=1,
        beds_free=1,
        beds_free_open=1,
        beds_held=0,
        beds_occupied=0,
        waiting_parties=0,
        waiting_people=0,
    )
    body = coordinator_client.get(URL, {"city": str(city.pk)}).json()
    assert body["count"] == 1


@pytest.mark.parametrize(
    "params",
    [
        {},
        {"city": "nope"},
        {"city": "CITY", "interval": "week"},
        {"city": "CITY", "from": "yesterday"},
        {"city": "CITY", "to": "2026-13-45"},
        {"city": "CITY", "from": "2026-12-02T00:00:00Z", "to": "2026-12-01T00:00:00Z"},
        {"city": "CITY", "page": "0"},
        {"city": "CITY", "from": "\x00"},
        # A week before the first year, or a zone past the last: no 500.
        {"city": "CITY", "to": "0001-01-01T00:00:00Z"},
        {"city": "CITY", "to": "0001-01-05T00:00:00Z", "interval": "day"},
        {"city": "CITY", "from": "9999-12-31T23:00:00-05:00"},
        {"city": "CITY", "from": "1999-12-31T23:59:00Z"},
        {"city": "CITY", "from": ""},  # sent empty: refused, not taken as left out
        {"city": ""},
    ],
)
def test_bad_parameters_answer_400_or_404(coordinator_client, city, params):
    params = {key: str(city.pk) if value == "CITY" else value for key, value in params.items()}
    answer = coordinator_client.get(URL, params)
    assert answer.status_code in (400, 404), answer.content
    if "page" not in params:
        assert answer.status_code == 400


def test_scope(
    city, volunteer_client, manager_client, other_coordinator_client, coordinator, anonymous
):
    _fill(city, 2)
    params = {"city": str(city.pk), "from": "2026-12-01T00:00:00Z", "to": "2026-12-02T00:00:00Z"}
    assert volunteer_client.get(URL, params).json()["count"] == 2
    assert other_coordinator_client.get(URL, params).status_code == 404
    assert manager_client.get(URL, params).status_code == 403
    assert anonymous.get(URL, params).status_code == 401
    from tests.conftest import key_client

    assert key_client(city, coordinator, ["capacity:read"]).get(URL, params).status_code == 200
    assert key_client(city, coordinator, ["parties:read"]).get(URL, params).status_code == 403


@pytest.mark.postgres
@pytest.mark.redis
def test_a_real_worker_writes_the_snapshots(live_worker, city, beds):  # noqa: F811
    """The beat's task, sent through Redis to a worker process, writes every city's hour."""
    tasks.capacity_snapshots_record.delay()
    deadline = time.monotonic() + 60
    while not CapacitySnapshot.objects.filter(city=city).exists():
        assert time.monotonic() < deadline, "the worker wrote no snapshot"
        time.sleep(0.2)
    snapshot = CapacitySnapshot.objects.get(city=city)
    assert snapshot.beds_free_open == 25 and snapshot.waiting_people == 2
    assert snapshot.at.minute == 0 and snapshot.at.second == 0
