"""The domain's numbers for `/metrics` (config.metrics): who waits and where there is
room, per city, read from the stored counters at scrape time; and what the matching runs
did, counted by the workers that ran them.

The beds are the spaces' own counters (`beds_held`, `beds_occupied`, kept under the space
lock by every write), summed per city in one query, as `GET /api/v1/capacity/` reports
them (every shelter, open or closed); the waiting parties and people are one grouped query
on the (city, status) index. Cities are labelled by name: there are few, and names are
unique.
"""

from collections.abc import Iterator
from datetime import datetime

from django.db.models import Count, IntegerField, Sum, Value
from django.db.models.functions import Coalesce
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from config.metrics import SharedCounter, SharedHistogram
from shelters.models import City

from .models import MatchingRun, Party, PartyStatus, RunStatus

MATCHING_RUNS = SharedCounter(
    "berth_matching_runs",
    "Matching runs finished by a worker, by result (done or failed).",
    "result",
    (RunStatus.DONE.value, RunStatus.FAILED.value),
)
MATCHING_RUN_SECONDS = SharedHistogram(
    "berth_matching_run_duration_seconds",
    "Time of a matching run that was done: snapshot, engine and writing its placements.",
    buckets=(0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120),
)
MATCHING_PLACED = SharedCounter(
    "berth_matching_placed",
    "What the matching runs placed: parties and people.",
    "what",
    ("parties", "people"),
)


def matching_run_record(run: MatchingRun | None, *, since: datetime) -> None:
    """Count a run that the caller's call of `matching_run_execute` finished (at or after
    `since`): a run that was already done, or left for the next ask, is not counted again."""
    if run is None or run.finished_at is None or run.finished_at < since:
        return
    if run.superseded_by_id is not None:
        return  # done by another run, which is counted
    if run.status == RunStatus.DONE:
        MATCHING_RUNS.inc(RunStatus.DONE.value)
        MATCHING_PLACED.inc("parties", run.placed_parties)
        MATCHING_PLACED.inc("people", run.placed_people)
        if run.duration_ms is not None:
            MATCHING_RUN_SECONDS.observe(run.duration_ms / 1000)


def matching_run_failed() -> None:
    MATCHING_RUNS.inc(RunStatus.FAILED.value)


class DomainCollector(Collector):
    """Waiting parties and people, and free, held and occupied beds, per city."""

    def collect(self) -> Iterator[Metric]:
        def total(field: str) -> Coalesce:
            return Coalesce(
                Sum(f"shelters__spaces__{field}"), Value(0), output_field=IntegerField()
            )

        beds = list(
            City.objects.annotate(
                all_beds=total("beds"), held=total("beds_held"), occupied=total("beds_occupied")
            )
            .order_by("name")
            .values_list("name", "all_beds", "held", "occupied")
        )
        waiting = dict.fromkeys((name for name, *_ in beds), (0, 0))
        waiting.update(
            (name, (parties, people or 0))
            for name, parties, people in Party.objects.filter(status=PartyStatus.WAITING)
            .values("city__name")
            .annotate(parties=Count("id"), people=Sum("size"))
            .values_list("city__name", "parties", "people")
        )
        by_state = GaugeMetricFamily(
            "berth_beds",
            "Beds per city: free, held for a party, occupied.",
            labels=["city", "state"],
        )
        for name, all_beds, held, occupied in beds:
            by_state.add_metric([name, "free"], all_beds - held - occupied)
            by_state.add_metric([name, "held"], held)
            by_state.add_metric([name, "occupied"], occupied)
        parties = GaugeMetricFamily(
            "berth_waiting_parties", "Parties waiting for a bed, per city.", labels=["city"]
        )
        people = GaugeMetricFamily(
            "berth_waiting_people", "People in the waiting parties, per city.", labels=["city"]
        )
        for name, (count, size) in waiting.items():
            parties.add_metric([name], count)
            people.add_metric([name], size)
        yield from (by_state, parties, people)
        yield from MATCHING_RUNS.collect()
        yield from MATCHING_RUN_SECONDS.collect()
        yield from MATCHING_PLACED.collect()
        queued = GaugeMetricFamily(
            "berth_matching_runs_queued", "Matching runs asked for and not yet started."
        )
        queued.add_metric([], MatchingRun.objects.filter(status=RunStatus.QUEUED).count())
        yield queued
