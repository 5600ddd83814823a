"""Celery tasks: thin, call one service, safe to run twice. They act as the system
(the schedule's timer), for no user: no caller's access is asked."""

from celery import shared_task

from config.celery import RELIABLE

from . import services


@shared_task(**RELIABLE)
def meal_services_create_for_today() -> int:
    """Beat, every 30 minutes: the services of the shelters' schedules that start later
    today or within `services.SCHEDULE_LEAD` (tomorrow's first ones), once per day."""
    return services.meal_services_create_for_day()
