"""Throttles on the shared cache (Redis in production), so they hold across processes."""

import logging

from redis.exceptions import RedisError
from rest_framework.throttling import SimpleRateThrottle

from .models import ApiKey

logger = logging.getLogger(__name__)


class SharedCacheThrottle(SimpleRateThrottle):
    """A throttle that lets requests through while its cache is unreachable.

    Losing Redis must not take registration down at 2 a.m.: for the time of the
    outage requests are not counted, and the outage is logged.
    """

    def allow_request(self, request, view):
        try:
            return super().allow_request(request, view)
        except (RedisError, OSError) as error:
            logger.error("throttle %s not applied, cache unreachable: %s", self.scope, error)
            return True


class ClientRateThrottle(SharedCacheThrottle):
    """Every API client: per API key, per user when signed in, per address otherwise.

    A key counts on its own, so an integration's traffic does not use up the rate of
    the coordinator who made the key (or of their other keys).
    """

    scope = "client"

    def get_cache_key(self, request, view):
        auth = getattr(request, "auth", None)
        user = getattr(request, "user", None)
        if isinstance(auth, ApiKey):
            ident = f"key-{auth.pk}"
        elif user is not None and user.is_authenticated:
            ident = user.pk
        else:
            ident = self.get_ident(request)
        return self.cache_format % {"scope": self.scope, "ident": ident}
