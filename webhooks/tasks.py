"""Celery tasks: thin, take ids, call one service, safe to run twice. They act as the
system: the subscriptions were made, and the events emitted, by callers whose access
was checked then."""

from celery import shared_task

from config.celery import RELIABLE

from . import services


@shared_task(name=services.DELIVER_TASK, **RELIABLE)
def delivery_send(delivery_id: str) -> None:
    services.delivery_attempt(delivery_id=delivery_id)


@shared_task(name=services.DISPATCH_TASK, **RELIABLE)
def deliveries_send(delivery_ids: list[str]) -> None:
    services.deliveries_enqueue(delivery_ids=delivery_ids, fan_out=False)


@shared_task(**RELIABLE)
def deliveries_due_send() -> int:
    return services.deliveries_due_send()


@shared_task(**RELIABLE)
def webhook_log_purge() -> int:
    return services.webhook_log_purge()
