"""Celery tasks: the purge of old keys acts as the system, for no user."""

from celery import shared_task

from config.celery import RELIABLE

from . import services


@shared_task(**RELIABLE)
def idempotency_keys_purge() -> int:
    return services.idempotency_keys_purge()
