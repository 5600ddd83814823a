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


class LoginRateThrottle(SharedCacheThrottle):
    """Failed password attempts, per client address: the token endpoint and the web
    and admin logins share it.

    Only failures count (`record_failure`), so a coordinator signing in a whole shift
    of volunteers from one address is never held back; a guesser is, after the rate's
    number of wrong passwords.
    """

    scope = "login"

    def get_cache_key(self, request, view):
        if request.method != "POST":
            return None
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}

    def throttle_success(self):
        return True  # checking does not count; record_failure does

    def record_failure(self, request) -> None:
        key = self.get_cache_key(request, None)
        if key is None or self.rate is None:
            return
        try:
            now = self.timer()
            history = [t for t in self.cache.get(key, []) if t > now - self.duration]
            self.cache.set(key, [now, *history], self.duration)
        except (RedisError, OSError) as error:
            logger.error("failed login not counted, cache unreachable: %s", error)
