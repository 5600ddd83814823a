"""Prometheus metrics at `GET /metrics`, for the operator's Prometheus.

- Requests and their latencies by route: the URL pattern that answered (`api/v1/parties/<pk>/`),
  never the raw path, so a scan of random URLs adds no series (`<unmatched>` for those).
- What the domain stores (waiting parties and people, beds per city, matching runs): read
  from the database at scrape time by collectors that `config.urls` hands to the view
  (`arrivals.metrics`), so every web process and container reports the same numbers.
- The task queue's length and beat's last tick, read from Redis at scrape time.
- Webhook delivery failures: `SharedCounter`, kept in the cache (Redis), which any process
  (a worker delivering a webhook) may add to.

Protected by a bearer token: `Authorization: Bearer $METRICS_TOKEN`. Without METRICS_TOKEN
the page does not exist (404), except with DEBUG on (a developer's machine).

gunicorn runs several processes: with PROMETHEUS_MULTIPROC_DIR set (docker/entrypoint.sh
sets it and empties it before gunicorn starts), each process writes its request metrics
to files there and any of them answers for all (prometheus_client's multiprocess mode;
config/gunicorn.py marks the files of a process that exits).
"""

import hmac
import logging
import os
import re
import time
from collections.abc import Callable, Iterable, Sequence

from django.conf import settings
from django.core.cache import cache
from django.http import Http404, HttpResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
    multiprocess,
)
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, HistogramMetricFamily
from prometheus_client.registry import Collector

from config.outages import UNAVAILABLE

logger = logging.getLogger(__name__)

METHODS = {"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"}
UNMATCHED = "<unmatched>"

REQUESTS = Counter(
    "berth_http_requests",
    "HTTP requests answered, by route pattern, method and status.",
    ["route", "method", "status"],
)
LATENCY = Histogram(
    "berth_http_request_duration_seconds",
    "Time to answer an HTTP request, by route pattern and method.",
    ["route", "method"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)

_GROUP = re.compile(r"\(\?P<(\w+)>[^)]*\)")


def route_label(route: str | None) -> str:
    """A readable, bounded label from a resolved route: `^parties/(?P<pk>[^/.]+)/$` and
    `parties/<uuid:pk>/` both become `parties/<pk>/`."""
    if not route:
        return UNMATCHED
    route = _GROUP.sub(r"<\1>", route).replace("^", "").replace("$", "")
    return re.sub(r"<\w+:(\w+)>", r"<\1>", route) or "/"


class RequestMetricsMiddleware:
    """Counts every answer and its latency, labelled with the route that answered."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        started = time.perf_counter()
        response = self.get_response(request)
        match = getattr(request, "resolver_match", None)
        route = route_label(match.route if match else None)
        method = request.method if request.method in METHODS else "other"
        REQUESTS.labels(route, method, str(response.status_code)).inc()
        LATENCY.labels(route, method).observe(time.perf_counter() - started)
        return response


def _cache_add(key: str, amount: int) -> None:
    cache.add(key, 0, timeout=None)
    cache.incr(key, amount)


class SharedCounter(Collector):
    """A counter that every process adds to, kept in the cache (Redis in production), for
    events of processes nobody scrapes (a Celery worker). Its label takes a fixed set of
    values, so the scrape knows which keys to read. If Redis loses its data the count
    starts again from 0, which Prometheus' rate() reads as a counter reset."""

    def __init__(self, name: str, documentation: str, label: str, values: Sequence[str]) -> None:
        self.name = name
        self.documentation = documentation
        self.label = label
        self.values = tuple(values)

    def _key(self, value: str) -> str:
        return f"metrics:{self.name}:{value}"

    def inc(self, value: str, amount: int = 1) -> None:
        """Add to the count of `value` (one of `values`, else counted as the last one).
        Never raises: a metric must not fail the work it counts."""
        if value not in self.values:
            value = self.values[-1]
        try:
            _cache_add(self._key(value), amount)
        except (*UNAVAILABLE, ValueError):
            logger.warning("metric %s not counted: cache unreachable", self.name, exc_info=True)

    def collect(self) -> Iterable[CounterMetricFamily]:
        family = CounterMetricFamily(self.name, self.documentation, labels=[self.label])
        counts = cache.get_many([self._key(value) for value in self.values])
        for value in self.values:
            family.add_metric([value], counts.get(self._key(value), 0))
        yield family


class SharedHistogram(Collector):
    """A histogram of seconds that every process adds to, kept in the cache like
    `SharedCounter`: one key per bucket (cumulative), the count, and the sum in ms."""

    def __init__(self, name: str, documentation: str, buckets: Sequence[float]) -> None:
        self.name = name
        self.documentation = documentation
        self.buckets = tuple(sorted(buckets))

    def _keys(self) -> list[str]:
        return [f"metrics:{self.name}:le:{bound}" for bound in self.buckets] + [
            f"metrics:{self.name}:count",
            f"metrics:{self.name}:sum_ms",
        ]

    def observe(self, seconds: float) -> None:
        """Never raises, as `SharedCounter.inc`."""
        *buckets, count, sum_ms = self._keys()
        try:
            for bound, key in zip(self.buckets, buckets, strict=True):
                if seconds <= bound:
                    _cache_add(key, 1)
            _cache_add(count, 1)
            _cache_add(sum_ms, round(seconds * 1000))
        except (*UNAVAILABLE, ValueError):
            logger.warning("metric %s not counted: cache unreachable", self.name, exc_info=True)

    def collect(self) -> Iterable[HistogramMetricFamily]:
        keys = self._keys()
        values = cache.get_many(keys)
        *buckets, count, sum_ms = (values.get(key, 0) for key in keys)
        yield HistogramMetricFamily(
            self.name,
            self.documentation,
            buckets=[
                *(
                    (str(float(bound)), value)
                    for bound, value in zip(self.buckets, buckets, strict=True)
                ),
                ("+Inf", count),
            ],
            sum_value=sum_ms / 1000,
        )


WEBHOOK_DELIVERY_FAILURES = SharedCounter(
    "berth_webhook_delivery_failures",
    "Webhook deliveries that failed, by reason (each failed attempt counts).",
    "reason",
    ("timeout", "connection", "http_status", "other"),
)

# Where beat records its last tick (config.beat) and the readiness check reads it.
BEAT_TICK_KEY = "beat:last_tick"


def _queue_keys(queue: str) -> list[str]:
    # kombu's Redis transport keeps one list per priority step: the queue's own name
    # for priority 0, then "<queue>\x06\x16<step>" for the others.
    return [queue] + [f"{queue}\x06\x16{step}" for step in (3, 6, 9)]


class InfrastructureCollector(Collector):
    """The Celery queue's length and beat's last tick, read at scrape time."""

    def collect(self):
        broker = settings.CELERY_BROKER_URL
        if broker.startswith(("redis://", "rediss://")):
            import redis

            queue = settings.CELERY_TASK_DEFAULT_QUEUE
            try:
                client = redis.Redis.from_url(
                    broker,
                    socket_connect_timeout=settings.REDIS_SOCKET_TIMEOUT,
                    socket_timeout=settings.REDIS_SOCKET_TIMEOUT,
                )
                with client.pipeline(transaction=False) as pipe:
                    for key in _queue_keys(queue):
                        pipe.llen(key)
                    pipe.hlen("unacked")
                    *lengths, unacked = pipe.execute()
                client.close()
            except (redis.RedisError, OSError):
                logger.warning("metrics: the broker did not answer", exc_info=True)
            else:
                waiting = GaugeMetricFamily(
                    "berth_celery_queue_length",
                    "Tasks waiting in the broker for a worker.",
                    labels=["queue"],
                )
                waiting.add_metric([queue], sum(lengths))
                yield waiting
                yield GaugeMetricFamily(
                    "berth_celery_tasks_unacked",
                    "Tasks a worker has taken but not yet finished (acknowledged late).",
                    value=unacked,
                )
        try:
            tick = cache.get(BEAT_TICK_KEY)
        except UNAVAILABLE:
            logger.warning("metrics: the cache did not answer", exc_info=True)
            tick = None
        if tick is not None:
            yield GaugeMetricFamily(
                "berth_beat_last_tick_timestamp_seconds",
                "When Celery beat last looked for due timers (Unix time).",
                value=tick,
            )


class _Collectors:
    def __init__(self, collectors: Iterable[Collector]) -> None:
        self.collectors = collectors

    def collect(self):
        # A part out of reach (the database, Redis) leaves its metrics out of this scrape;
        # the others are still reported. Prometheus' `up` stays 1: alert on absent series.
        for collector in self.collectors:
            try:
                families = list(collector.collect())
            except UNAVAILABLE:
                logger.warning("metrics: %s failed", type(collector).__name__, exc_info=True)
                continue
            yield from families


def _process_metrics() -> bytes:
    """The request metrics of this process, or of every gunicorn process when they
    share PROMETHEUS_MULTIPROC_DIR."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
        return generate_latest(registry)
    return generate_latest(REGISTRY)


def authorized(request) -> bool:
    """A bearer token equal to METRICS_TOKEN; without one, nobody (404), unless DEBUG."""
    token = settings.METRICS_TOKEN
    if not token:
        if settings.DEBUG:
            return True
        raise Http404
    scheme, _, given = request.headers.get("Authorization", "").partition(" ")
    return scheme.lower() == "bearer" and hmac.compare_digest(
        given.strip().encode(), token.encode()
    )


def metrics_view(collectors: Sequence[Collector] = ()) -> Callable:
    """The /metrics view, reporting these collectors besides the request metrics."""
    everything = [InfrastructureCollector(), WEBHOOK_DELIVERY_FAILURES, *collectors]

    @never_cache
    @require_safe
    def metrics(request):
        if not authorized(request):
            response = HttpResponse("metrics need a bearer token\n", status=401)
            response["WWW-Authenticate"] = 'Bearer realm="metrics"'
            return response
        body = _process_metrics() + generate_latest(_Collectors(everything))
        return HttpResponse(body, content_type=CONTENT_TYPE_LATEST)

    return metrics
