"""`GET /healthz`: can this process reach its database and its cache?

For load balancers and container health checks: no authentication, no personal
data, one `SELECT 1` and one cache round trip. Answers 200 when both work, else
503 naming the part that failed. Why it failed goes to the log, not the answer.
"""

import logging
import uuid

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
