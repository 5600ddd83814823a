"""Celery tasks: thin, call one service, safe to run twice. They act as the system
(the schedule's timer), for no user: no caller's access is asked."""

from celery import shared_task

from config.celery import RELIABLE

from . import services


@shared_task(**RELIABLE)
def meal_services_create_for_today() -> int:
    """Beat, every 30 minutes: today's services from the shelters' schedules, once."""
    return services.meal_services_create_for_day()
