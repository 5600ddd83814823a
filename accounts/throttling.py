"""Throttles on the shared cache (Redis in production), so they hold across processes."""

from rest_framework.throttling import SimpleRateThrottle

from .models import ApiKey


class ClientRateThrottle(SimpleRateThrottle):
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


class LoginRateThrottle(SimpleRateThrottle):
    """Password guesses, per client address: the token endpoint and the web login."""

    scope = "login"

    def get_cache_key(self, request, view):
        if request.method != "POST":
            return None
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}
