"""Celery tasks: thin, take ids, call one service, safe to run twice.

None acts for a user: each acts as the system (the matcher, the timer, the expiry of
held beds, the repair of counters, the retention of personal data), asked by a
timer or by a write that already passed its caller's access checks. What a person
does to a party (check in, check out, cancel) is done in their request, by services
that ask the person's `accounts.access.Access`.
"""

from celery import shared_task
from django.utils import timezone

from config.celery import RELIABLE

from . import metrics, services


@shared_task(name=services.MATCHING_RUN_TASK, **RELIABLE)
def matching_run(run_id: str) -> None:
    since = timezone.now()
    try:
        run = services.matching_run_execute(run_id=run_id)
    except Exception:
        metrics.matching_run_failed()
        raise
    metrics.matching_run_record(run, since=since)


@shared_task(**RELIABLE)
def matching_request_all() -> None:
    services.matching_request_all(trigger="timer")


@shared_task(**RELIABLE)
def placements_expire() -> int:
    return services.placements_expire()


@shared_task(**RELIABLE)
def space_counters_repair() -> int:
    return len(services.space_counters_repair())


@shared_task(**RELIABLE)
def personal_data_erase() -> int:
    return services.personal_data_erase()


@shared_task(**RELIABLE)
def capacity_snapshots_record() -> int:
    return services.capacity_snapshots_record()


def on_room_available(sender, city_id, **kwargs) -> None:
    """shelters.signals.room_available: a waiting party may now fit; match the waiting."""
    if services.city_has_waiting(city_id=city_id):
        services.matching_request(city_id=city_id, trigger="room_available")
