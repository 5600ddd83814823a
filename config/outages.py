"""What a database, broker or cache out of reach raises, for the web answers
(config.errors: 503) and the tasks (config.celery: retried with backoff).

Django's wrappers of the driver's errors (a dropped, refused or timed-out connection,
a statement cancelled by a timeout, a deadlock), Celery's publish error, and redis-py's
own (Django's Redis cache raises them as they are).
"""

import kombu.exceptions
import redis.exceptions
from django.db import InterfaceError, OperationalError

UNAVAILABLE = (
    OperationalError,
    InterfaceError,
    kombu.exceptions.OperationalError,
    redis.exceptions.ConnectionError,
    redis.exceptions.TimeoutError,
)


def is_unavailable(exc: BaseException | None) -> bool:
    """True if `exc`, or an exception it was raised from, means a service is out of reach.

    Only explicit causes (`raise ... from`) count: an error raised while handling another
    (a validation error after a caught timeout) is answered as itself.
    """
    seen = set()
    while exc is not None and id(exc) not in seen:
        if isinstance(exc, UNAVAILABLE):
            return True
        seen.add(id(exc))
        exc = exc.__cause__
    return False
