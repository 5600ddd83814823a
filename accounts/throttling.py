"""Throttles on the shared cache (Redis in production), so they hold across processes."""

import contextlib
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

    A fixed window counted with the cache's atomic `incr`: each attempt takes a slot
    before its password is checked (so parallel guesses cannot all slip past one
    read), and a successful sign-in gives its slot back. So only failures count: a
    coordinator signing in a whole shift of volunteers from one address is never held
    back; a guesser is, after the rate's number of wrong passwords.
    """

    scope = "login"
    # Parsed from the rate by SimpleRateThrottle.__init__ (None without one); the stubs
    # leave them out.
    num_requests: int | None
    duration: int | None

    def _window_key(self, request) -> str | None:
        if request.method != "POST" or self.rate is None:
            return None
        assert self.duration is not None  # a rate has a duration
        window = int(self.timer() // self.duration)
        ident = self.get_ident(request)
        return f"{self.cache_format % {'scope': self.scope, 'ident': ident}}:{window}"

    def get_cache_key(self, request, view):
        return self._window_key(request)

    def allow_request(self, request, view):
        """Take a slot for this attempt; False when the window's slots are used up."""
        self.key = self._window_key(request)
        if self.key is None:
            return True
        assert self.num_requests is not None and self.duration is not None  # a key: a rate
        try:
            self.cache.add(self.key, 0, self.duration)
            taken = self.cache.incr(self.key)
        except ValueError:  # the window expired between add and incr
            self.cache.add(self.key, 1, self.duration)
            taken = 1
        except (RedisError, OSError) as error:
            logger.error("login throttle not applied, cache unreachable: %s", error)
            return True
        if taken > self.num_requests:
            self._give_back()
            return False
        return True

    def succeeded(self) -> None:
        """The password was right: this attempt does not count."""
        if getattr(self, "key", None) is not None:
            self._give_back()

    def _give_back(self) -> None:
        # If the window or the cache is gone, there is nothing to give back.
        with contextlib.suppress(ValueError, RedisError, OSError):
            self.cache.decr(self.key)

    def wait(self):
        assert self.duration is not None  # asked after a refusal, so under a rate
        return self.duration - (self.timer() % self.duration)
