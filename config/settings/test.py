"""Settings for pytest. PostgreSQL and Redis are used when DATABASE_URL / REDIS_URL are set."""

from typing import cast

from .base import REST_FRAMEWORK as _API  # local.py keeps it as it is
from .local import *  # noqa: F403

DEBUG = False
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
# Tests start their own worker where they need one; otherwise tasks run in-process.
CELERY_TASK_ALWAYS_EAGER = True
CELERY_TASK_EAGER_PROPAGATES = True
LANGUAGE_CODE = "en"
# The suite makes requests faster than anyone could: the per-caller limits are lifted,
# and tests/security/test_rate_limits.py checks them at the rates of base.py.
_RATES = cast("dict[str, str]", _API["DEFAULT_THROTTLE_RATES"])
REST_FRAMEWORK = {
    **_API,
    "DEFAULT_THROTTLE_RATES": {
        **_RATES,
        **{
            name: "100000/min"
            for name in _RATES
            if name.split(".")[0] in {"register", "read", "write", "anonymous"}
        },
    },
}
