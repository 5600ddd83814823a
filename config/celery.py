"""The Celery app. Without REDIS_URL tasks run in-process (see settings.base)."""

import gc
import logging
import logging.config
import os

from celery import Celery
from celery.signals import (
    before_task_publish,
    setup_logging,
    task_postrun,
    task_prerun,
    worker_process_init,
)

from config.logs import new_request_id, request_id, task_name
from config.outages import UNAVAILABLE

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")

# Options of a task that must not be lost with its worker: acknowledged once it has run,
# queued again if the worker dies mid-run, no result kept. Shared by the apps' tasks.
# A database or broker out of reach (a connection killed mid-task, a failover) is
# retried, after about 1, 2, 4, ... 60 s (jittered so that the tasks of one outage do
# not come back all at once), for some minutes; the timers catch up after that.
RELIABLE = {
    "acks_late": True,
    "reject_on_worker_lost": True,
    "ignore_result": True,
    "autoretry_for": UNAVAILABLE,
    "retry_backoff": True,
    "retry_backoff_max": 60,
    "retry_jitter": True,
    "max_retries": 8,
}

app = Celery("berth")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@worker_process_init.connect
def freeze_loaded(**kwargs) -> None:
    """Each worker process, once started, takes what it has loaded (Django, the apps and
    their modules) out of the garbage collector's sight: none of it ever becomes garbage,
    and a matching run, which makes hundreds of thousands of objects, would otherwise have
    the collector walk all of it again several times (about 40 ms of a national run)."""
    gc.freeze()


# The request id travels as a message header: the task's log lines carry the id of the
# request that enqueued it (config.logs).
HEADER = "berth_request_id"


@before_task_publish.connect
def _send_request_id(headers=None, **kwargs) -> None:
    ident = request_id.get()
    if ident and headers is not None:
        headers.setdefault(HEADER, ident)


def _sent_request_id(task) -> str | None:
    request = task.request
    return getattr(request, HEADER, None) or (getattr(request, "headers", None) or {}).get(HEADER)


_tokens: dict[str, tuple] = {}


@task_prerun.connect
def _take_request_id(task_id=None, task=None, **kwargs) -> None:
    ident = _sent_request_id(task)
    if ident is None and task.request.is_eager:
        # Run in-process by the request itself: its id is already the current one.
        ident = request_id.get()
    # A task from the timer (or from a client that sent none) gets an id of its own,
    # which the tasks it enqueues then share.
    _tokens[task_id] = (request_id.set(ident or new_request_id()), task_name.set(task.name))


@task_postrun.connect
def _drop_request_id(task_id=None, **kwargs) -> None:
    tokens = _tokens.pop(task_id, None)
    if tokens is not None:
        ident, name = tokens
        task_name.reset(name)
        request_id.reset(ident)


@setup_logging.connect
def _logging(loglevel=None, **kwargs) -> None:
    """Workers and beat log as the web does (settings.LOGGING: JSON lines), not in
    Celery's own format; `--loglevel` still applies. (`celery --quiet` leaves out the
    start-up banner, which is not a log line.)"""
    from django.conf import settings

    logging.config.dictConfig(settings.LOGGING)
    logging.captureWarnings(True)
    if loglevel:
        logging.getLogger().setLevel(loglevel)
