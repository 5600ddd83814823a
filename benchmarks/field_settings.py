"""Settings of the field app benchmark (benchmarks/field_app.py): the test settings on a
SQLite file, with static files as production serves them (collected, named by their
content, compressed beforehand and served by WhiteNoise)."""

import os

from config.settings.test import *  # noqa: F403

DEBUG = False
ALLOWED_HOSTS = ["127.0.0.1", "localhost"]
STATIC_ROOT = os.environ["BENCH_STATIC_ROOT"]
WHITENOISE_AUTOREFRESH = False
WHITENOISE_USE_FINDERS = False
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}
