"""Settings for a developer's machine: runs with nothing set (SQLite, tasks in-process)."""

import os

from .base import *  # noqa: F403
from .base import FIELD_ENCRYPTION_KEY, LOOKUP_HASH_KEY, SECRET_KEY, env_bool

DEBUG = env_bool("DEBUG", True)
# Development-only secrets: never used where production settings are loaded.
SECRET_KEY = SECRET_KEY or "dev-insecure-berth-secret-key-change-me-in-production-0123456789"
FIELD_ENCRYPTION_KEY = FIELD_ENCRYPTION_KEY or "ZGV2LW9ubHktYmVydGgtZmllbGQta2V5LTAwMDAwMDA="
LOOKUP_HASH_KEY = LOOKUP_HASH_KEY or "dev-only-berth-lookup-key"
# Serve static files from the apps and static/ as they are, without collectstatic, also
# with DEBUG off (the test settings, and the test and benchmark servers of gunicorn).
WHITENOISE_AUTOREFRESH = True
WHITENOISE_USE_FINDERS = True
# Integrations run beside Berth here (the example in examples/, the tests): webhooks may
# go to this machine. Mail is printed, not sent.
WEBHOOKS_ALLOW_PRIVATE_URLS = env_bool("WEBHOOKS_ALLOW_PRIVATE_URLS", True)
EMAIL_BACKEND = os.environ.get("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
