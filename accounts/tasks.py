"""Celery tasks of accounts: the daily purge of ended tokens and stale sign-in failures,
as the system, for no user."""

from celery import shared_task

from config.celery import RELIABLE

from . import services


@shared_task(**RELIABLE)
def sign_in_records_purge() -> int:
    return services.sign_in_records_purge()
