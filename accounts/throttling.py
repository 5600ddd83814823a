"""Throttles on the shared cache (Redis in production), so they hold across processes."""

import logging
import threading
from typing import cast

from django.utils.crypto import salted_hmac
from redis.exceptions import RedisError
from rest_framework.settings import api_settings
from rest_framework.throttling import SimpleRateThrottle

from .access import access_for
from .models import ApiKey, Role

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


# What a request is, for its limit: `<action>.<caller>` names a rate of
# REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"] (config/settings/base.py, where each is
# explained; docs/operations.md gives the measurements behind them).
REGISTER, READ, WRITE = "register", "read", "write"
ANONYMOUS = "anonymous"


def throttle_scope(request, view, *, address: str) -> tuple[str, str]:
    """(rate name, whose count) of a request: per API key, per person, else per address.

    Registering a party (`POST /parties/`) is limited per role (a volunteer at a table, a
    coordinator, an integration registering for a messenger bot); every other write and
    every read per kind of caller. Each request counts against exactly one limit.
    """
    auth = getattr(request, "auth", None)
    user = getattr(request, "user", None)
    if isinstance(auth, ApiKey):
        caller, ident = "key", f"key-{auth.pk}"
    elif user is not None and user.is_authenticated:
        caller, ident = "person", str(user.pk)
    else:
        # Counted by a keyed hash of the address: the cache never holds an address.
        return ANONYMOUS, "address-" + salted_hmac("berth.throttle.address", address).hexdigest()
    if request.method in ("GET", "HEAD", "OPTIONS"):
        return f"{READ}.{caller}", ident
    if getattr(view, "basename", None) == "party" and getattr(view, "action", None) == "create":
        if caller == "person":
            access = access_for(request)
            caller = Role.VOLUNTEER if access.role == Role.VOLUNTEER else Role.COORDINATOR
        return f"{REGISTER}.{caller}", ident
    return f"{WRITE}.{caller}", ident


class ClientRateThrottle(SharedCacheThrottle):
    """Every API request, limited per caller and action (`throttle_scope`): a volunteer's
    registrations, a key's reads, an address's requests without login, ...

    A fixed window counted in the shared cache, in slots leased to each process: a
    process takes `lease` slots at once (one `INCRBY` with its expiry, one round trip
    to Redis) and hands them out to its own requests, so a request costs a Redis round
    trip only once per `lease` requests of its caller in that process. The lease is a
    hundredth of the rate, and at least 3 slots (or the whole rate, if smaller): at most
    `lease - 1` slots per process are taken but unused when a window ends, so a caller
    may be held back that much early, never let through beyond the rate.
    """

    scope = ANONYMOUS  # chosen again for each request
    num_requests: int | None
    duration: int | None
    _leases: dict[tuple[str, int, int], int] = {}
    _window: int | None = None
    _lock = threading.Lock()

    def __init__(self):  # no rate yet: it is chosen for each request (allow_request)
        self.rate = None
        self.num_requests = self.duration = None

    def get_cache_key(self, request, view):
        scope, ident = throttle_scope(request, view, address=self.get_ident(request))
        return self.cache_format % {"scope": scope, "ident": ident}

    def allow_request(self, request, view):
        self.scope, _ident = throttle_scope(request, view, address=self.get_ident(request))
        # Read at each request (not DRF's copy taken at import), so that settings apply.
        self.rate = cast("str | None", api_settings.DEFAULT_THROTTLE_RATES.get(self.scope))
        if self.rate is None:
            return True
        self.num_requests, self.duration = self.parse_rate(self.rate)
        assert self.num_requests is not None and self.duration is not None  # a rate
        key = self.get_cache_key(request, view)
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
        lease = max(min(3, self.num_requests), self.num_requests // 100)
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
