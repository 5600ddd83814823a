"""`GET /healthz`: can this process reach its database and its cache?

For load balancers and container health checks: no authentication, no personal
data, one `SELECT 1` and one cache round trip. Answers 200 when both work, else
503 naming the part that failed. Why it failed goes to the log, not the answer.
"""

import logging
import threading
import time
import uuid

from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.http import JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

logger = logging.getLogger(__name__)

OK = "ok"
ERROR = "error"


def _database() -> str:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception:
        logger.exception("health check: database unreachable")
        return ERROR
    return OK


def _cache() -> str:
    key = f"healthz:{uuid.uuid4().hex}"
    try:
        cache.set(key, OK, timeout=10)
        seen = cache.get(key)
        cache.delete(key)
    except Exception:
        logger.exception("health check: cache unreachable")
        return ERROR
    if seen != OK:
        logger.error("health check: cache did not keep a value")
        return ERROR
    return OK


@never_cache
@require_safe
def healthz(request):
    parts = {"database": _database(), "cache": _cache()}
    healthy = all(value == OK for value in parts.values())
    body = {"status": OK if healthy else ERROR, **parts}
    return JsonResponse(body, status=200 if healthy else 503)


# --- Readiness -----------------------------------------------------------------------------
#
# `GET /readyz`: is the whole installation working, not only this process? The database,
# the broker, a worker that answers a ping, and beat ticking. For monitoring and for a
# deploy that waits until the new release serves (not for a container's liveness: a web
# container must not be restarted because the worker is down). 200 or 503 naming every
# part; without a broker (tasks in-process, `make run` without REDIS_URL) broker and
# worker are "skipped". The answer is kept for READINESS_CACHE_SECONDS, so that frequent
# probes do not ping every worker each time.

SKIPPED = "skipped"
_ready_lock = threading.Lock()
_ready_cache: dict = {}


def _eager() -> bool:
    from config.celery import app

    return bool(app.conf.task_always_eager)


def _broker() -> str:
    from config.celery import app

    if _eager():
        return SKIPPED
    try:
        with app.connection_for_write() as conn:
            conn.ensure_connection(max_retries=1, timeout=settings.READINESS_TIMEOUT_SECONDS)
            conn.default_channel  # noqa: B018 - opens the channel: Redis answers a PING
    except Exception:
        logger.exception("readiness check: broker unreachable")
        return ERROR
    return OK


def _worker() -> str:
    from config.celery import app

    if _eager():
        return SKIPPED
    try:
        replies = app.control.ping(timeout=settings.READINESS_TIMEOUT_SECONDS, limit=1)
    except Exception:
        logger.exception("readiness check: could not ask the workers")
        return ERROR
    if not replies:
        logger.error("readiness check: no worker answered a ping")
        return ERROR
    return OK


def _beat() -> str:
    from config.metrics import BEAT_TICK_KEY

    try:
        tick = cache.get(BEAT_TICK_KEY)
    except Exception:
        logger.exception("readiness check: cache unreachable, beat's last tick unknown")
        return ERROR
    if tick is None or time.time() - tick > settings.BEAT_TICK_MAX_AGE_SECONDS:
        logger.error(
            "readiness check: beat has not ticked for %ss", settings.BEAT_TICK_MAX_AGE_SECONDS
        )
        return ERROR
    return OK


def readiness() -> dict:
    """Every part's state, computed at most every READINESS_CACHE_SECONDS."""
    with _ready_lock:
        kept = _ready_cache.get("parts")
        if kept and time.monotonic() - _ready_cache["at"] < settings.READINESS_CACHE_SECONDS:
            return kept
        parts = {"database": _database(), "broker": _broker(), "worker": _worker(), "beat": _beat()}
        _ready_cache.update(parts=parts, at=time.monotonic())
        return parts


@never_cache
@require_safe
def readyz(request):
    parts = readiness()
    ready = all(value in (OK, SKIPPED) for value in parts.values())
    return JsonResponse({"status": OK if ready else ERROR, **parts}, status=200 if ready else 503)
