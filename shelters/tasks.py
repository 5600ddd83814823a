"""Celery tasks of shelters: thin, take ids or nothing, call one service, safe to run twice."""

from celery import shared_task

from config.celery import RELIABLE

from . import services


@shared_task(**RELIABLE)
def host_offers_begin() -> int:
    """Open the apartments accepted before their first day, on that day (every 10 minutes)."""
    return services.host_offers_begin()


@shared_task(**RELIABLE)
def host_offers_end() -> int:
    """Close the apartments whose offer's last day has passed (every 10 minutes)."""
    return services.host_offers_end()


@shared_task(**RELIABLE)
def host_offers_personal_data_erase() -> int:
    """Forget hosts' names and phones after the retention of arrivals (nightly)."""
    return services.host_offers_personal_data_erase()
