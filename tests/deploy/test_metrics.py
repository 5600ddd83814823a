"""GET /metrics: behind a bearer token, with requests by route and the domain's numbers."""

import uuid

import pytest
import redis
from django.db import OperationalError
from django.utils import timezone
from prometheus_client.parser import text_string_to_metric_families
from rest_framework.test import APIClient

from accounts.models import Role
from arrivals import metrics as arrivals_metrics
from arrivals.models import MatchingRun, RunStatus
from config import metrics
from config.beat import beat_tick_record
from tests import factories
from tests.arrivals.parties.conftest import PARTIES, body
from tests.conftest import client_for, redis_url
from tests.webhooks.conftest import receiver, subscribe  # noqa: F401 - a fixture
from webhooks import services as webhook_services

pytestmark = pytest.mark.django_db

TOKEN = "metrics-token-for-the-tests-0123456789"


@pytest.fixture
def scraper(settings) -> APIClient:
    settings.METRICS_TOKEN = TOKEN
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {TOKEN}")
    return client


def scrape(client: APIClient) -> dict[tuple[str, tuple], float]:
    """Every sample of /metrics: {(name, sorted labels): value}."""
    response = client.get("/metrics")
    assert response.status_code == 200, response.content
    # Prometheus' text format (prometheus_client's current version of it).
    assert response["Content-Type"].startswith("text/plain; version=")
    assert "no-store" in response["Cache-Control"]
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(response.content.decode())
        for sample in family.samples
    }


def test_without_a_token_configured_there_is_no_page(anonymous, settings):
    settings.METRICS_TOKEN = ""
    assert anonymous.get("/metrics").status_code == 404


def test_a_developer_machine_serves_it_without_a_token(anonymous, settings):
    settings.METRICS_TOKEN = ""
    settings.DEBUG = True
    assert anonymous.get("/metrics").status_code == 200


@pytest.mark.parametrize(
    "authorization",
    [None, f"Token {TOKEN}", "Bearer wrong", f"Bearer {TOKEN}x", "Bearer", f"Basic {TOKEN}"],
)
def test_a_missing_or_wrong_token_is_refused(settings, authorization):
    settings.METRICS_TOKEN = TOKEN
    client = APIClient()
    if authorization:
        client.credentials(HTTP_AUTHORIZATION=authorization)
    response = client.get("/metrics")
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == 'Bearer realm="metrics"'
    assert b"berth_" not in response.content


def test_writes_are_refused(scraper):
    assert scraper.post("/metrics").status_code == 405


def test_requests_are_counted_by_route_not_by_path(scraper, coordinator_client, city):
    for _ in range(2):
        assert coordinator_client.get(f"/api/v1/cities/{city.id}/").status_code == 200
    assert coordinator_client.get(f"/api/v1/cities/{uuid.uuid4()}/").status_code == 404
    assert coordinator_client.get("/no/such/page/at/all").status_code == 404
    samples = scrape(scraper)
    route = "api/v1/cities/<pk>/"
    labels = (("method", "GET"), ("route", route), ("status", "200"))
    # Counts only grow (other tests of this process count too): at least ours.
    assert samples[("berth_http_requests_total", labels)] >= 2
    assert samples[("berth_http_requests_total", (*labels[:2], ("status", "404")))] >= 1
    unmatched = (("method", "GET"), ("route", "<unmatched>"), ("status", "404"))
    assert samples[("berth_http_requests_total", unmatched)] >= 1
    assert samples[("berth_http_request_duration_seconds_count", labels[:2])] >= 3
    assert not any(str(city.id) in str(key) for key in samples)
    assert not any("no/such" in str(key) for key in samples)


def test_route_labels_are_readable_patterns():
    assert metrics.route_label("api/v1/^parties/(?P<pk>[^/.]+)/$") == "api/v1/parties/<pk>/"
    assert metrics.route_label("api/v1/^parties/$") == "api/v1/parties/"
    assert metrics.route_label("shelters/<uuid:shelter_id>/") == "shelters/<shelter_id>/"
    assert metrics.route_label("") == "<unmatched>"
    assert metrics.route_label(None) == "<unmatched>"


def register(client: APIClient, data: dict, capture) -> None:
    # The registration asks for matching once committed: run it here, in-process.
    with capture(execute=True):
        assert client.post(PARTIES, data, format="json").status_code == 201


def test_waiting_parties_people_and_beds_per_city(
    scraper, volunteer_client, city, shelter, django_capture_on_commit_callbacks
):
    factories.SpaceFactory(shelter=shelter, beds=4)
    empty = factories.CityFactory()
    # The first party, of two, is placed; the second, of three, does not fit the two
    # beds left.
    register(volunteer_client, body(city), django_capture_on_commit_callbacks)
    three = body(city)
    three["members"] = [*three["members"], {"given_name": "Dana", "age_group": "child"}]
    register(volunteer_client, three, django_capture_on_commit_callbacks)

    samples = scrape(scraper)
    name = (("city", city.name),)
    assert samples[("berth_waiting_parties", name)] == 1
    assert samples[("berth_waiting_people", name)] == 3
    assert samples[("berth_beds", (("city", city.name), ("state", "held")))] == 2
    assert samples[("berth_beds", (("city", city.name), ("state", "free")))] == 2
    assert samples[("berth_beds", (("city", city.name), ("state", "occupied")))] == 0
    assert samples[("berth_waiting_parties", (("city", empty.name),))] == 0
    assert samples[("berth_beds", (("city", empty.name), ("state", "free")))] == 0


def test_matching_runs_are_counted_with_their_durations(
    scraper, volunteer_client, city, shelter, django_capture_on_commit_callbacks
):
    factories.SpaceFactory(shelter=shelter, beds=10)
    for _ in range(3):
        register(volunteer_client, body(city), django_capture_on_commit_callbacks)
    done = MatchingRun.objects.filter(status=RunStatus.DONE)
    assert done.count() == 3

    samples = scrape(scraper)
    assert samples[("berth_matching_runs_total", (("result", "done"),))] == 3
    assert samples[("berth_matching_runs_total", (("result", "failed"),))] == 0
    assert samples[("berth_matching_placed_total", (("what", "parties"),))] == 3
    assert samples[("berth_matching_placed_total", (("what", "people"),))] == 6
    assert samples[("berth_matching_run_duration_seconds_count", ())] == 3
    assert samples[("berth_matching_run_duration_seconds_bucket", (("le", "+Inf"),))] == 3
    assert samples[("berth_matching_run_duration_seconds_sum", ())] == pytest.approx(
        sum(run.duration_ms for run in done) / 1000
    )
    assert samples[("berth_matching_runs_queued", ())] == 0


def test_a_run_counted_once_even_if_its_task_runs_twice(scraper, city):
    since = timezone.now()
    run = MatchingRun.objects.create(
        city=city, status=RunStatus.DONE, finished_at=timezone.now(), duration_ms=1500
    )
    arrivals_metrics.matching_run_record(run, since=since)
    # The second delivery of the task finds the run done before it started.
    arrivals_metrics.matching_run_record(run, since=timezone.now())
    arrivals_metrics.matching_run_failed()
    samples = scrape(scraper)
    assert samples[("berth_matching_runs_total", (("result", "done"),))] == 1
    assert samples[("berth_matching_runs_total", (("result", "failed"),))] == 1
    assert samples[("berth_matching_run_duration_seconds_bucket", (("le", "1.0"),))] == 0
    assert samples[("berth_matching_run_duration_seconds_bucket", (("le", "2.5"),))] == 1
    assert samples[("berth_matching_run_duration_seconds_sum", ())] == 1.5


def test_webhook_delivery_failures_are_counted_across_processes(scraper):
    metrics.WEBHOOK_DELIVERY_FAILURES.inc("timeout")
    metrics.WEBHOOK_DELIVERY_FAILURES.inc("timeout")
    metrics.WEBHOOK_DELIVERY_FAILURES.inc("something unforeseen")
    samples = scrape(scraper)
    failures = "berth_webhook_delivery_failures_total"
    assert samples[(failures, (("reason", "timeout"),))] == 2
    assert samples[(failures, (("reason", "other"),))] == 1
    assert samples[(failures, (("reason", "connection"),))] == 0


def test_beats_last_tick(scraper):
    beat_tick_record(now=1_800_000_000.0)
    samples = scrape(scraper)
    assert samples[("berth_beat_last_tick_timestamp_seconds", ())] == 1_800_000_000.0


def test_a_database_out_of_reach_leaves_its_metrics_out(scraper, monkeypatch):
    def broken(self):
        raise OperationalError("could not connect")

    monkeypatch.setattr(arrivals_metrics.DomainCollector, "collect", broken)
    samples = scrape(scraper)
    assert not any(name == "berth_beds" for name, _ in samples)
    assert any(name == "berth_http_requests_total" for name, _ in samples)


@pytest.mark.redis
def test_queue_length_is_read_from_the_broker(scraper, settings):
    queue = f"berth-metrics-test-{uuid.uuid4().hex[:8]}"
    settings.CELERY_BROKER_URL = redis_url()
    settings.CELERY_TASK_DEFAULT_QUEUE = queue
    client = redis.Redis.from_url(redis_url())
    keys = [queue, f"{queue}\x06\x163"]
    try:
        client.lpush(keys[0], "a", "b", "c")
        client.lpush(keys[1], "d")
        samples = scrape(scraper)
    finally:
        client.delete(*keys)
    assert samples[("berth_celery_queue_length", (("queue", queue),))] == 4
    assert ("berth_celery_tasks_unacked", ()) in samples


@pytest.mark.django_db(transaction=True)
def test_failed_webhook_deliveries_are_counted_by_reason(scraper, receiver, city, volunteer):  # noqa: F811
    """A receiver answering 500: the worker's failed try is counted, by its reason."""
    coordinator = factories.member(Role.COORDINATOR, cities=[city])
    subscribe(client_for(coordinator), city, receiver.url)
    receiver.answers = [500]
    assert client_for(volunteer).post(PARTIES, body(city), format="json").status_code == 201
    receiver.wait(1)
    samples = scrape(scraper)
    failures = "berth_webhook_delivery_failures_total"
    assert samples[(failures, (("reason", "http_status"),))] == 1
    assert samples[(failures, (("reason", "timeout"),))] == 0


@pytest.mark.parametrize(
    ("status_code", "error", "reason"),
    [
        (500, "HTTP 500", "http_status"),
        (302, "HTTP 302", "http_status"),
        (None, "timeout", "timeout"),
        (None, "ConnectionError: refused", "connection"),
        (None, "SSLError: bad certificate", "connection"),
        (None, "The URL leads to a private or local address.", "other"),
    ],
)
def test_webhook_failure_reasons(status_code, error, reason):
    assert webhook_services._failure_reason(status_code, error) == reason
