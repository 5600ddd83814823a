"""Throttles on the shared cache (Redis in production), so they hold across processes."""

import logging
import threading

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

    A fixed window counted in the shared cache, in slots leased to each process: a
    process takes `lease` slots at once (one `INCRBY` with its expiry, one round trip
    to Redis) and hands them out to its own requests, so a request costs a Redis round
    trip only once per `lease` requests of its client in that process. The lease is a
    hundredth of the rate (one slot under 200 a window, so small rates count exactly):
    at most `lease` slots per process are taken but unused when a window ends, so a
    client may be held back that much early, never let through beyond the rate.
    """

    scope = "client"
    num_requests: int | None
    duration: int | None
    _leases: dict[tuple[str, int, int], int] = {}
    _window: int | None = None
    _lock = threading.Lock()

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

    def allow_request(self, request, view):
        if self.rate is None:
            return True
        assert self.num_requests is not None and self.duration is not None  # a rate
        key = self.get_cache_key(request, view)
        if key is None:
            return True
        window = int(self.timer() // self.duration)
        lease_key = (key, window, self.num_requests)
        cls = type(self)
        with cls._lock:
            if cls._window != window:  # leases of past windows are worth nothing
                cls._leases = {k: n for k, n in cls._leases.items() if k[1] >= window}
                cls._window = window
            if cls._leases.get(lease_key, 0) > 0:
                cls._leases[lease_key] -= 1
                return True
        lease = max(1, self.num_requests // 100)
        try:
            taken = self._take(f"{key}:{self.num_requests}:{window}", lease)
        except (RedisError, OSError) as error:
            logger.error("throttle %s not applied, cache unreachable: %s", self.scope, error)
            return True
        granted = min(lease, self.num_requests - (taken - lease))
        if granted <= 0:
            return False
        with cls._lock:
            cls._leases[lease_key] = cls._leases.get(lease_key, 0) + granted - 1
        return True

    def _take(self, key: str, slots: int) -> int:
        """Add `slots` to the window's count; the count after. On Redis one round trip
        (INCRBY and EXPIRE in one pipeline); on other caches add and incr."""
        assert self.duration is not None
        client_of = getattr(getattr(self.cache, "_cache", None), "get_client", None)
        if client_of is not None:
            full_key = self.cache.make_and_validate_key(key)
            pipeline = client_of(full_key, write=True).pipeline(transaction=False)
            pipeline.incrby(full_key, slots)
            pipeline.expire(full_key, self.duration + 1)
            return int(pipeline.execute()[0])
        self.cache.add(key, 0, self.duration + 1)
        try:
            return self.cache.incr(key, slots)
        except ValueError:  # the window expired between add and incr
            self.cache.add(key, slots, self.duration + 1)
            return slots

    def wait(self):
        assert self.duration is not None  # asked after a refusal, so under a rate
        return self.duration - (self.timer() % self.duration)
