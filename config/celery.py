"""The Celery app. Without REDIS_URL tasks run in-process (see settings.base)."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")

# Options of a task that must not be lost with its worker: acknowledged once it has run,
# queued again if the worker dies mid-run, no result kept. Shared by the apps' tasks.
RELIABLE = {"acks_late": True, "reject_on_worker_lost": True, "ignore_result": True}

app = Celery("berth")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
