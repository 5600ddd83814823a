"""The per-address limit of residents' host offers: the public page and the API share it.

A fixed window counted with the cache's atomic `incr` (Redis in production), so parallel
posts from one address cannot all slip past one read. While the cache is out of reach
the limit is counted in the database instead: the offers stored from that address (by
the keyed hash of it, `HostOffer.client_digest`) within the window. So a Redis outage
lets no flood of offers in.
"""

import logging
import time
from datetime import timedelta

from django.core.cache import cache
from django.utils import timezone
from redis.exceptions import RedisError
from rest_framework.settings import api_settings
from rest_framework.throttling import BaseThrottle, SimpleRateThrottle

from config.outages import UNAVAILABLE

from .models import HostOffer
from .services import host_offer_client_digest

logger = logging.getLogger(__name__)

SCOPE = "host_offer"


def host_offer_rate() -> tuple[int, int]:
    """(number, seconds) of settings' `host_offer` rate, as "5/hour"."""
    rate = api_settings.DEFAULT_THROTTLE_RATES[SCOPE]
    number, duration = SimpleRateThrottle.parse_rate(None, rate)  # type: ignore[arg-type]  # reads no attribute of self
    assert number is not None and duration is not None  # a rate is set
    return number, duration


def host_offer_allowed(*, ident: str) -> tuple[bool, int]:
    """Take one of the address's offers in this window: (allowed, seconds until the window
    ends). The cache counts; where it cannot, the database does (see the module)."""
    number, duration = host_offer_rate()
    now = time.time()
    window = int(now // duration)
    wait = int(duration - (now % duration)) + 1
    digest = host_offer_client_digest(ident)
    key = f"throttle_{SCOPE}_{digest}:{window}"
    try:
        cache.add(key, 0, duration)
        taken = cache.incr(key)
    except ValueError:  # the window expired between add and incr
        cache.add(key, 1, duration)
        taken = 1
    except (RedisError, OSError, *UNAVAILABLE) as error:
        logger.error("host offer limit counted in the database, cache unreachable: %s", error)
        since = timezone.now() - timedelta(seconds=duration)
        taken = HostOffer.objects.filter(client_digest=digest, created_at__gte=since).count() + 1
    return taken <= number, wait


def client_ident(request) -> str:
    """The address an offer is counted by, as DRF's throttles tell it (NUM_PROXIES)."""
    return BaseThrottle().get_ident(request) or ""
