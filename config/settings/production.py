"""Production settings: refuse to start without their secrets."""

import os

from cryptography.fernet import Fernet
from django.core.exceptions import ImproperlyConfigured

from .base import *  # noqa: F403
from .base import (
    DATABASE_URL,
    DATABASES,
    FIELD_ENCRYPTION_KEY,
    LOOKUP_HASH_KEY,
    REDIS_URL,
    REST_FRAMEWORK,
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
if len(LOOKUP_HASH_KEY) < 32:
    raise ImproperlyConfigured("LOOKUP_HASH_KEY must be at least 32 characters long.")
# Fail at start, not at the first registration: every key must be a Fernet key.
_fernet_keys = [key.strip() for key in FIELD_ENCRYPTION_KEY.split(",") if key.strip()]
if not _fernet_keys:
    raise ImproperlyConfigured("FIELD_ENCRYPTION_KEY holds no key.")
for _position, _key in enumerate(_fernet_keys, start=1):
    try:
        Fernet(_key)
    except ValueError:
        raise ImproperlyConfigured(
            f"FIELD_ENCRYPTION_KEY: key {_position} of {len(_fernet_keys)} is not a Fernet key "
            "(32 url-safe base64-encoded bytes; make one with "
            "`python -c 'from cryptography.fernet import Fernet; "
            "print(Fernet.generate_key().decode())'`)."
        ) from None

DEBUG = False
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
# TLS ends at the reverse proxy in front of gunicorn, which must set X-Forwarded-Proto.
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
# Health probes and Prometheus come over plain HTTP from inside the host (Docker, a load
# balancer, a scraper beside it).
SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$", r"^metrics$"]
SECURE_HSTS_SECONDS = int(os.environ.get("SECURE_HSTS_SECONDS", "31536000"))
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
# Preloading is a promise to browsers that is slow to take back (every subdomain, HTTPS
# only, for months): only when the operator asks for it.
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", False)
if not SECURE_HSTS_PRELOAD:
    SILENCED_SYSTEM_CHECKS = ["security.W021"]  # "SECURE_HSTS_PRELOAD is not True"
SECURE_CONTENT_TYPE_NOSNIFF = True
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
SESSION_COOKIE_HTTPONLY = True
X_FRAME_OPTIONS = "DENY"
# A restarted PostgreSQL must not leave workers with dead persistent connections.
DATABASES = {"default": {**DATABASES["default"], "CONN_HEALTH_CHECKS": True}}
# A Redis that does not answer fails requests fast: see REDIS_SOCKET_TIMEOUT in base.
# Throttles key on the client address. Behind N proxies that append X-Forwarded-For,
# the client is the Nth address from the right; without this a client could send
# any X-Forwarded-For and escape the login throttle. 0 when nothing is in front.
# JSON only: no browsable API (its HTML forms, and what they show of the API) in
# production. /api/docs/ documents the API.
REST_FRAMEWORK = {
    **REST_FRAMEWORK,
    "NUM_PROXIES": int(os.environ.get("NUM_PROXIES", "1")),
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
}
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}
