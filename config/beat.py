"""Celery beat's scheduler (settings.CELERY_BEAT_SCHEDULER): Celery's own, which keeps its
schedule in a file, and which records each tick in the cache, so that the readiness check
(`/readyz`) and `/metrics` can tell a beat that stopped ticking from a quiet one.

Beat ticks at least every CELERY_BEAT_MAX_LOOP_INTERVAL seconds (60), and whenever a
timer is due.
"""

import logging
import time

from celery.beat import PersistentScheduler
from django.core.cache import cache

from config.metrics import BEAT_TICK_KEY
from config.outages import UNAVAILABLE

logger = logging.getLogger(__name__)

# Kept for a day: long after the readiness check calls beat stale (BEAT_TICK_MAX_AGE_SECONDS).
TICK_KEPT_SECONDS = 24 * 3600


def beat_tick_record(now: float | None = None) -> None:
    """Write the time of this tick; a cache out of reach costs a log line, never beat."""
    try:
        cache.set(BEAT_TICK_KEY, time.time() if now is None else now, timeout=TICK_KEPT_SECONDS)
    except UNAVAILABLE:
        logger.warning("beat tick not recorded: cache unreachable", exc_info=True)


class Scheduler(PersistentScheduler):
    def tick(self, *args, **kwargs):
        interval = super().tick(*args, **kwargs)
        beat_tick_record()
        return interval
