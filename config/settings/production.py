"""Production settings: refuse to start without their secrets."""

import os

from django.core.exceptions import ImproperlyConfigured

from .base import *  # noqa: F403
from .base import (
    DATABASE_URL,
    FIELD_ENCRYPTION_KEY,
    LOOKUP_HASH_KEY,
    REDIS_URL,
    SECRET_KEY,
    env_bool,
    env_list,
)

_missing = [
    name
    for name, value in {
        "SECRET_KEY": SECRET_KEY,
        "DATABASE_URL": DATABASE_URL,
        "REDIS_URL": REDIS_URL,
        "FIELD_ENCRYPTION_KEY": FIELD_ENCRYPTION_KEY,
        "LOOKUP_HASH_KEY": LOOKUP_HASH_KEY,
        "ALLOWED_HOSTS": env_list("ALLOWED_HOSTS"),
    }.items()
    if not value
]
if _missing:
    raise ImproperlyConfigured(f"Production settings need these environment variables: {_missing}")
if len(SECRET_KEY) < 50:
    raise ImproperlyConfigured("SECRET_KEY must be at least 50 characters long.")

DEBUG = False
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_HSTS_SECONDS = int(os.environ.get("SECURE_HSTS_SECONDS", "31536000"))
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = True
SECURE_CONTENT_TYPE_NOSNIFF = True
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
SESSION_COOKIE_HTTPONLY = True
X_FRAME_OPTIONS = "DENY"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}
