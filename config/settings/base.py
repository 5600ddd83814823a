"""Settings shared by every environment. Everything that differs comes from the environment."""

import os
from datetime import timedelta
from pathlib import Path

import dj_database_url
from celery.schedules import crontab
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent.parent


def env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


SECRET_KEY = os.environ.get("SECRET_KEY", "")
# Earlier keys, comma separated, still accepted for what they signed (sessions, slip links)
# while a new SECRET_KEY takes over.
SECRET_KEY_FALLBACKS = env_list("SECRET_KEY_FALLBACKS")
DEBUG = env_bool("DEBUG", False)
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "127.0.0.1,localhost")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")
# A form whose token no longer holds (session ended, or logged in again elsewhere): a
# translated page that keeps what was typed (config.errors.csrf_failure).
CSRF_FAILURE_VIEW = "config.errors.csrf_failure"

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "knox",  # people's tokens, stored as hashes (accounts.authentication)
    "axes",  # failed sign-ins counted in the database (accounts.login_limits)
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "csp",
    "accounts",
    "privacy",
    "idempotency",
    "shelters",
    "arrivals",
    "meals",
    "webhooks",
    "spreadsheets",
    "demo",
]

MIDDLEWARE = [
    # First: every answer, and every log line of the request, carries its id.
    "config.middleware.RequestIdMiddleware",
    # Every answer counted with its latency, by route (config.metrics: GET /metrics).
    "config.metrics.RequestMetricsMiddleware",
    # No cache keeps an API answer (Cache-Control: no-store), whichever view or middleware
    # below made it (the JSON 404 that replaces Django's page of routes under DEBUG too).
    "config.middleware.ApiNoStoreMiddleware",
    # A body for what Django answers bare: a 405 page, the API's JSON 404 under DEBUG.
    "config.middleware.BareAnswersMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    # Before anything reads the body (CSRF reads forms, DRF its parsers).
    "config.middleware.BodyLimitMiddleware",
    # Static files, precompressed by the production storage (gzip, and brotli where the
    # brotli package is installed); answered here, before the middleware below.
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # Pages and API answers go out compressed (a phone on a slow network). BREACH needs a
    # secret in a compressed page beside text the attacker chooses: the pages' only
    # secret is the CSRF token, which Django masks anew in every response.
    "django.middleware.gzip.GZipMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    # Django's, less the slash-appending redirect under /api/ (a JSON 404 there).
    "config.middleware.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # The back office shows times in its staff member's city's time zone (UTC otherwise).
    "accounts.middleware.BackOfficeTimeZoneMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    # A page's form sent after the session ended: the login page says it was not saved.
    "config.middleware.SessionEndedMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # A web or admin sign-in that axes refused answers 429 with Retry-After (its page
    # says why: accounts.login_limits.lockout_response).
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

# --- Database: PostgreSQL from DATABASE_URL, else a local SQLite file. ---
DATABASE_URL = os.environ.get("DATABASE_URL", "")
if DATABASE_URL:
    DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=60)}
    if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
        # Django's, with prepared statements for the statements of every request.
        DATABASES["default"]["ENGINE"] = "config.postgresql"
else:
    DATABASES = {
        "default": {
            "ENGINE": "config.sqlite",  # SQLite, with a LIKE for every alphabet
            "NAME": os.environ.get("SQLITE_PATH", str(BASE_DIR / "db.sqlite3")),
            # IMMEDIATE takes the write lock at BEGIN, so two writers queue instead of
            # failing with "database is locked" when a read transaction upgrades. WAL lets
            # reads go on while one writes, and with synchronous=NORMAL a commit waits for
            # no disk flush (a crash of Berth loses nothing; a power cut may lose the last
            # commits): a third more registrations a second under a burst of 32 phones.
            "OPTIONS": {
                "timeout": 20,
                "transaction_mode": "IMMEDIATE",
                "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL",
            },
        }
    }
# Behind a connection pooler in transaction mode (PgBouncer's pool_mode = transaction) a
# server connection serves one transaction of one client at a time, so nothing may outlive
# a transaction: no server-side cursors (they are held across transactions), no prepared
# statements (config.postgresql: one lives on one server connection), and the matching
# lock is a transaction lock (arrivals.services.city_matching_lock). docs/operations.md.
if DATABASE_URL and os.environ.get("DATABASE_POOLER") == "transaction":
    DATABASES["default"]["DISABLE_SERVER_SIDE_CURSORS"] = True
    DATABASES["default"].setdefault("OPTIONS", {})["prepared_statements"] = False
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Cache and broker: Redis from REDIS_URL, else in-process. ---
REDIS_URL = os.environ.get("REDIS_URL", "")
# Every call to Redis is bounded (seconds), so a Redis that hangs costs a request a
# fraction of a second, never the 17 s of an unbounded read. A registration makes one
# cache call (its throttle, which lets requests through when the cache fails) and one
# publish (two tries): it answers within 2 s even then, and the matching run it asked
# for is sent again by the timer (arrivals.services.matching_request).
REDIS_SOCKET_TIMEOUT = float(os.environ.get("REDIS_SOCKET_TIMEOUT", "0.5"))


def redis_cache(url: str) -> dict:
    """The cache on Redis at `url`, with bounded calls and no retries of its own."""
    return {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": url,
        "KEY_PREFIX": "berth",
        "OPTIONS": {
            "socket_connect_timeout": REDIS_SOCKET_TIMEOUT,
            "socket_timeout": REDIS_SOCKET_TIMEOUT,
            "retry_on_timeout": False,
        },
    }


if REDIS_URL:
    CACHES = {"default": redis_cache(REDIS_URL)}
else:
    # A database table is shared by every process of one installation, unlike LocMem,
    # so throttles hold across gunicorn workers even without Redis.
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.db.DatabaseCache",
            "LOCATION": "berth_cache",
        }
    }

# In memory, named by a host so that kombu does not warn "No hostname was supplied".
CELERY_BROKER_URL = REDIS_URL or "memory://localhost/"
CELERY_RESULT_BACKEND = None
CELERY_TASK_ALWAYS_EAGER = not REDIS_URL
CELERY_TASK_DEFAULT_QUEUE = os.environ.get("CELERY_QUEUE", "celery")
# An in-process task that fails must not turn the request that enqueued it into a 500;
# the beat timer and the repair tasks catch up.
CELERY_TASK_EAGER_PROPAGATES = False
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_TIME_LIMIT = 120
CELERY_TASK_SOFT_TIME_LIMIT = 100
# Every countdown we use stays far below this; a late-acked task that is not acked
# within it is delivered again. Connecting and every read or write are bounded, so
# publishing to a Redis that hangs fails fast instead of blocking the request.
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "visibility_timeout": 3600,
    "socket_connect_timeout": REDIS_SOCKET_TIMEOUT,
    "socket_timeout": float(
        os.environ.get("CELERY_BROKER_SOCKET_TIMEOUT", str(REDIS_SOCKET_TIMEOUT))
    ),
}
CELERY_BROKER_CONNECTION_TIMEOUT = REDIS_SOCKET_TIMEOUT
# A worker that loses Redis reconnects for as long as it takes.
CELERY_BROKER_CONNECTION_RETRY = True
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_BROKER_CONNECTION_MAX_RETRIES = None
# Publishing from a request: one retry on a fresh connection (a pooled one may have
# died with a Redis restart), then give up; the timer sends the work again.
CELERY_TASK_PUBLISH_RETRY = True
CELERY_TASK_PUBLISH_RETRY_POLICY = {
    "max_retries": 1,
    "interval_start": 0,
    "interval_step": 0.2,
    "interval_max": 0.2,
}
CELERY_TIMEZONE = "UTC"
# Beat records each tick in the cache (config.beat), read by /readyz and /metrics; it
# ticks at least every minute.
CELERY_BEAT_SCHEDULER = "config.beat:Scheduler"
CELERY_BEAT_MAX_LOOP_INTERVAL = 60
CELERY_BEAT_SCHEDULE = {
    "matching-all-cities": {
        "task": "arrivals.tasks.matching_request_all",
        "schedule": timedelta(minutes=1),
    },
    "placements-expire": {
        "task": "arrivals.tasks.placements_expire",
        "schedule": timedelta(minutes=1),
    },
    "space-counters-repair": {
        "task": "arrivals.tasks.space_counters_repair",
        "schedule": timedelta(hours=1),
    },
    # At the start of every hour: each city's figures for GET /capacity/history/.
    "capacity-snapshots": {
        "task": "arrivals.tasks.capacity_snapshots_record",
        "schedule": crontab(minute=0),
    },
    "personal-data-erase": {
        "task": "arrivals.tasks.personal_data_erase",
        "schedule": crontab(minute=17, hour=3),
    },
    "idempotency-keys-purge": {
        "task": "idempotency.tasks.idempotency_keys_purge",
        "schedule": timedelta(hours=1),
    },
    "meal-services-schedule": {
        "task": "meals.tasks.meal_services_create_for_today",
        "schedule": timedelta(minutes=30),
    },
    "webhook-deliveries-due": {
        "task": "webhooks.tasks.deliveries_due_send",
        "schedule": timedelta(seconds=30),
    },
    "host-offers-begin": {
        "task": "shelters.tasks.host_offers_begin",
        "schedule": timedelta(minutes=10),
    },
    "host-offers-end": {
        "task": "shelters.tasks.host_offers_end",
        "schedule": timedelta(minutes=10),
    },
    "host-offers-personal-data-erase": {
        "task": "shelters.tasks.host_offers_personal_data_erase",
        "schedule": crontab(minute=27, hour=3),
    },
    # Ended tokens and sign-in failures older than the lockout (accounts.services).
    "sign-in-records-purge": {
        "task": "accounts.tasks.sign_in_records_purge",
        "schedule": crontab(minute=37, hour=3),
    },
    "webhook-log-purge": {
        "task": "webhooks.tasks.webhook_log_purge",
        "schedule": crontab(minute=47, hour=3),
    },
    "spreadsheet-files-purge": {
        "task": "spreadsheets.tasks.import_jobs_purge",
        "schedule": crontab(minute=17),
    },
}

# --- Auth ---
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
# axes's backend first: it refuses a locked-out sign-in before the password is checked.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "accounts.backends.UsernameAnyCaseBackend",
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "/"
LOGOUT_REDIRECT_URL = "login"

# --- I18N: English first, Russian and Kazakh follow. ---
LANGUAGE_CODE = "en"
LANGUAGES = [("en", _("English")), ("ru", _("Russian")), ("kk", _("Kazakh"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
# Date and time formats Django lacks (Kazakh).
FORMAT_MODULE_PATH = ["config.formats"]
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]

# --- Limits and headers ---
# Request bodies above this answer 413 before they are read (config.middleware), for
# every parser and for chunked bodies; the reverse proxy should refuse them first
# (docs/operations.md).
BERTH_MAX_BODY_BYTES = int(os.environ.get("BERTH_MAX_BODY_BYTES", str(1024 * 1024)))
# Spreadsheet uploads (spreadsheets/): the only bodies allowed above BERTH_MAX_BODY_BYTES,
# on the paths below, up to the file limit plus room for the form around it.
SPREADSHEET_MAX_BYTES = int(os.environ.get("SPREADSHEET_MAX_BYTES", str(5 * 1024 * 1024)))
SPREADSHEET_MAX_ROWS = int(os.environ.get("SPREADSHEET_MAX_ROWS", "20000"))
# Files of at most this many rows are checked and imported in the request; larger ones by
# a Celery worker, with their progress shown.
SPREADSHEET_INLINE_ROWS = int(os.environ.get("SPREADSHEET_INLINE_ROWS", "300"))
# A checked file not confirmed within this many hours is forgotten (its report stays).
SPREADSHEET_KEEP_HOURS = int(os.environ.get("SPREADSHEET_KEEP_HOURS", "24"))
BERTH_UPLOAD_PATHS = ("/api/v1/imports/", "/imports/")
BERTH_MAX_UPLOAD_BYTES = SPREADSHEET_MAX_BYTES + 64 * 1024
# Content-Security-Policy (django-csp 4): no inline scripts or styles anywhere; the
# pages' CSS and the API docs' scripts are static files. data: images are the icons
# in Swagger UI's stylesheet and the empty favicon.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'none'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    },
}

# --- Operations: metrics, readiness, error reports ---
# GET /metrics answers a Prometheus holding `Authorization: Bearer <METRICS_TOKEN>`;
# without a token it is 404 (with DEBUG on, open).
METRICS_TOKEN = os.environ.get("METRICS_TOKEN", "")
# GET /readyz: each check waits at most this long (the worker ping, the broker), beat is
# stale after this long without a tick, and an answer is reused for this long.
READINESS_TIMEOUT_SECONDS = float(os.environ.get("READINESS_TIMEOUT_SECONDS", "1"))
BEAT_TICK_MAX_AGE_SECONDS = 180
READINESS_CACHE_SECONDS = 5
# Errors go to Sentry when SENTRY_DSN is set, personal data scrubbed first (config.sentry).
SENTRY_DSN = os.environ.get("SENTRY_DSN", "")
if SENTRY_DSN:
    from config.sentry import sentry_init

    sentry_init(
        SENTRY_DSN,
        environment=os.environ.get("SENTRY_ENVIRONMENT", "production"),
        traces_sample_rate=float(os.environ.get("SENTRY_TRACES_SAMPLE_RATE", "0")),
    )

# --- REST API ---
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "accounts.authentication.ApiKeyAuthentication",
        "accounts.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["accounts.permissions.IsMember"],
    "DEFAULT_PAGINATION_CLASS": "config.pagination.Pagination",
    "DEFAULT_PARSER_CLASSES": ["config.parsers.JSONParser"],
    "DEFAULT_CONTENT_NEGOTIATION_CLASS": "config.negotiation.ContentNegotiation",
    # django-filter's, refusing a filter sent empty (config.filters).
    "DEFAULT_FILTER_BACKENDS": ["config.filters.FilterBackend"],
    "DEFAULT_SCHEMA_CLASS": "config.openapi.AutoSchema",
    "DEFAULT_THROTTLE_CLASSES": ["accounts.throttling.ClientRateThrottle"],
    # Per caller and action (accounts.throttling.throttle_scope); each request counts
    # against one. Set from a night's measured use, with the reasoning, in
    # docs/operations.md ("Request limits"); THROTTLE_<NAME>_RATE changes one.
    "DEFAULT_THROTTLE_RATES": {
        # POST /parties/, per person or key: a registration by hand takes 20 s or more,
        # and a phone's outbox sends what it kept one after the other.
        "register.volunteer": os.environ.get("THROTTLE_REGISTER_VOLUNTEER_RATE", "60/min"),
        "register.coordinator": os.environ.get("THROTTLE_REGISTER_COORDINATOR_RATE", "60/min"),
        "register.key": os.environ.get("THROTTLE_REGISTER_KEY_RATE", "120/min"),
        # Reads: a page polling an import each second; a dashboard, a sync of all parties.
        "read.person": os.environ.get("THROTTLE_READ_PERSON_RATE", "300/min"),
        "read.key": os.environ.get("THROTTLE_READ_KEY_RATE", "120/min"),
        # Other writes: servings tapped in a kitchen, check-ins of a bus, edits.
        "write.person": os.environ.get("THROTTLE_WRITE_PERSON_RATE", "120/min"),
        "write.key": os.environ.get("THROTTLE_WRITE_KEY_RATE", "60/min"),
        # Without login, per address: the OpenAPI document and what needs no account.
        "anonymous": os.environ.get("THROTTLE_ANONYMOUS_RATE", "30/min"),
        # Residents' host offers, per address (shelters.throttling), the page and the API.
        "host_offer": os.environ.get("THROTTLE_HOST_OFFER_RATE", "5/hour"),
    },
    "EXCEPTION_HANDLER": "config.exceptions.exception_handler",
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Berth API",
    "DESCRIPTION": "Beds, arrivals and meals for people arriving in a city in a crisis.",
    "VERSION": "1.1.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "ENUM_NAME_OVERRIDES": {},
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "config.openapi.add_error_responses",
        "config.openapi.optional_properties",
    ],
}

# --- People's tokens (django-rest-knox; accounts.authentication) ---
# A token ends after this many hours without use; each use moves its end on, written to
# the database at most once a minute. Each sign-in makes a token of its own; a person
# keeps at most BERTH_TOKENS_PER_PERSON (a new sign-in ends the oldest beyond).
BERTH_TOKEN_IDLE_HOURS = float(os.environ.get("BERTH_TOKEN_IDLE_HOURS", "12"))
BERTH_TOKENS_PER_PERSON = int(os.environ.get("BERTH_TOKENS_PER_PERSON", "20"))
REST_KNOX = {
    "TOKEN_TTL": timedelta(hours=BERTH_TOKEN_IDLE_HOURS),
    "AUTO_REFRESH": True,
    "MIN_REFRESH_INTERVAL": 60,
    "AUTH_HEADER_PREFIX": "Token",
}

# --- Failed sign-ins (django-axes, database handler; accounts.login_limits) ---
# Counted in the database, not the cache: the limit holds while Redis is down. A sign-in
# is refused while, within LOGIN_LOCKOUT_MINUTES of the last failure counted, one account
# failed this often from one address, or from any address, or one address for any
# account; the right password works again LOGIN_LOCKOUT_MINUTES after the last failure
# (refused attempts do not count), or at once after a coordinator's unlock.
LOGIN_FAILURES_ACCOUNT_ADDRESS = int(os.environ.get("LOGIN_FAILURES_ACCOUNT_ADDRESS", "10"))
LOGIN_FAILURES_ACCOUNT = int(os.environ.get("LOGIN_FAILURES_ACCOUNT", "30"))
LOGIN_FAILURES_ADDRESS = int(os.environ.get("LOGIN_FAILURES_ADDRESS", "50"))
LOGIN_LOCKOUT_MINUTES = float(os.environ.get("LOGIN_LOCKOUT_MINUTES", "15"))
AXES_HANDLER = "accounts.login_limits.LoginLimitHandler"
# In the order of accounts.login_limits.failure_limits(): each has its own limit there;
# axes's single AXES_FAILURE_LIMIT is the scale they are reported on.
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"], "username", "ip_address"]
AXES_FAILURE_LIMIT = 100
AXES_COOLOFF_TIME = timedelta(minutes=LOGIN_LOCKOUT_MINUTES)
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False
AXES_RESET_ON_SUCCESS = False  # the handler forgets that account's failures from that address
AXES_DISABLE_ACCESS_LOG = True  # no row for every successful sign-in
AXES_CLIENT_IP_CALLABLE = "accounts.login_limits.client_address"
AXES_USERNAME_CALLABLE = "accounts.login_limits.attempt_username"
AXES_LOCKOUT_CALLABLE = "accounts.login_limits.lockout_response"

# --- Berth ---
# Fernet keys, comma separated; the first encrypts, all decrypt (rotation).
FIELD_ENCRYPTION_KEY = os.environ.get("FIELD_ENCRYPTION_KEY", "")
# Key of the HMAC that lets us compare phones without storing them in clear.
LOOKUP_HASH_KEY = os.environ.get("LOOKUP_HASH_KEY", "")
# A phone searched for is also tried in its other form: the national one (trunk prefix)
# and the international one (country code), `8 701 ...` and `+7 701 ...` in Kazakhstan.
# Only searches: duplicates are never guessed across forms (privacy.crypto.phone_normalize).
PHONE_TRUNK_PREFIX = os.environ.get("PHONE_TRUNK_PREFIX", "8")
PHONE_COUNTRY_CODE = os.environ.get("PHONE_COUNTRY_CODE", "7")
PERSONAL_DATA_RETENTION_DAYS = int(os.environ.get("PERSONAL_DATA_RETENTION_DAYS", "30"))
PLACEMENT_HOLD_HOURS = float(os.environ.get("PLACEMENT_HOLD_HOURS", "3"))
# A party released from a shelter without coming in (its hold taken back or expired) is
# not placed there again by the matcher for this long (arrivals.selectors.shelters_released_from).
RELEASED_SHELTER_AVOID_HOURS = float(os.environ.get("RELEASED_SHELTER_AVOID_HOURS", "12"))
IDEMPOTENCY_KEY_TTL_HOURS = int(os.environ.get("IDEMPOTENCY_KEY_TTL_HOURS", "24"))
# Webhooks (webhooks.services): each try waits this long to connect and for the answer;
# a worker holds a delivery this long while it sends (a worker killed mid-send leaves it
# to be sent again after that), so it must be well above the timeout.
WEBHOOK_TIMEOUT_SECONDS = float(os.environ.get("WEBHOOK_TIMEOUT_SECONDS", "5"))
WEBHOOK_LEASE_SECONDS = float(os.environ.get("WEBHOOK_LEASE_SECONDS", "60"))
WEBHOOK_LOG_RETENTION_DAYS = int(os.environ.get("WEBHOOK_LOG_RETENTION_DAYS", "30"))
# Webhook URLs that resolve to loopback, private or link-local addresses are refused
# (webhooks.targets), unless this is on: the local settings turn it on.
WEBHOOKS_ALLOW_PRIVATE_URLS = env_bool("WEBHOOKS_ALLOW_PRIVATE_URLS", False)
# Mail (a disabled webhook's maker is told): Django's SMTP backend, from the environment.
EMAIL_BACKEND = os.environ.get("EMAIL_BACKEND", "django.core.mail.backends.smtp.EmailBackend")
EMAIL_HOST = os.environ.get("EMAIL_HOST", "localhost")
EMAIL_PORT = int(os.environ.get("EMAIL_PORT", "25"))
EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
EMAIL_TIMEOUT = 10
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "berth@localhost")

# One JSON object a line (config.logs): control characters escaped, so no path or
# input can forge a line; each record carries the id of its request, which follows
# the request into the Celery tasks it enqueues.
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {
        "request_id": {"()": "config.logs.RequestIdFilter"},
        "client_fault": {"()": "config.logs.ClientFaultFilter"},
    },
    "formatters": {"json": {"()": "config.logs.JsonFormatter"}},
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": "json",
            "filters": ["request_id", "client_fault"],
        }
    },
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    "loggers": {
        # Django's own console handlers go: everything goes through the root, as JSON.
        "django": {"handlers": [], "propagate": True},
        # 4xx answers are in the access log already; 5xx stay here, with their traceback.
        "django.request": {"level": "ERROR", "propagate": True},
        # The development server's request lines (runserver has no access log).
        "django.server": {"handlers": [], "propagate": True},
    },
}
