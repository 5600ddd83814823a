"""Production settings, loaded as a real process would load them.

Each test runs `manage.py` in a subprocess with DJANGO_SETTINGS_MODULE set to
config.settings.production and a controlled environment, because those settings
read the environment once, at import, and refuse to start without their secrets.
"""

import json
import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from cryptography.fernet import Fernet

REPO = Path(__file__).resolve().parents[2]
HOST = "berth.example.org"
# Kept from the caller's environment; everything else is set by the test.
PASSED_THROUGH = ("PATH", "HOME", "LANG", "LC_ALL", "TMPDIR", "SYSTEMROOT")
BAD_KEY = "this-is-not-a-fernet-key-SENTINEL"


@pytest.fixture
def env(tmp_path) -> dict[str, str]:
    """A full, valid production environment (nothing here is contacted by `check`)."""
    values = {name: os.environ[name] for name in PASSED_THROUGH if name in os.environ}
    values.update(
        {
            "DJANGO_SETTINGS_MODULE": "config.settings.production",
            "PYTHONDONTWRITEBYTECODE": "1",
            "SECRET_KEY": secrets.token_urlsafe(50),
            "DATABASE_URL": f"sqlite:///{tmp_path / 'berth.sqlite3'}",
            # Port 1: nothing listens, so a connection is refused at once.
            "REDIS_URL": "redis://127.0.0.1:1/0",
            "FIELD_ENCRYPTION_KEY": Fernet.generate_key().decode(),
            "LOOKUP_HASH_KEY": secrets.token_urlsafe(32),
            "ALLOWED_HOSTS": HOST,
            "CSRF_TRUSTED_ORIGINS": f"https://{HOST}",
        }
    )
    return values


def manage(env: dict[str, str], *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(  # noqa: S603 - our own interpreter and manage.py
        [sys.executable, "manage.py", *args],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def check_deploy(env: dict[str, str]) -> subprocess.CompletedProcess:
    return manage(env, "check", "--deploy", "--fail-level", "WARNING")


def error_line(result: subprocess.CompletedProcess) -> str:
    """The last line of the traceback: `...ImproperlyConfigured: <message>`."""
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert lines, result
    return lines[-1]


def test_check_deploy_is_clean(env):
    result = check_deploy(env)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_check_deploy_counts_warnings_as_failures(env):
    """The clean result above means something: a weakened setting is caught."""
    env["SECURE_SSL_REDIRECT"] = "false"
    result = check_deploy(env)
    assert result.returncode != 0
    assert "security.W008" in result.stdout + result.stderr


@pytest.mark.parametrize(
    "name",
    [
        "SECRET_KEY",
        "FIELD_ENCRYPTION_KEY",
        "LOOKUP_HASH_KEY",
        "DATABASE_URL",
        "REDIS_URL",
        "ALLOWED_HOSTS",
    ],
)
def test_missing_secret_stops_startup_and_is_named(env, name):
    del env[name]
    result = check_deploy(env)
    assert result.returncode != 0
    line = error_line(result)
    assert "ImproperlyConfigured" in line
    assert f"'{name}'" in line


def test_empty_value_counts_as_missing(env):
    env["SECRET_KEY"] = ""
    env["FIELD_ENCRYPTION_KEY"] = ""
    line = error_line(check_deploy(env))
    assert "'SECRET_KEY'" in line
    assert "'FIELD_ENCRYPTION_KEY'" in line


def test_short_secret_key_stops_startup(env):
    env["SECRET_KEY"] = "too-short"
    result = check_deploy(env)
    assert result.returncode != 0
    assert "SECRET_KEY must be at least 50 characters" in error_line(result)


def test_short_lookup_hash_key_stops_startup(env):
    env["LOOKUP_HASH_KEY"] = "x"
    result = check_deploy(env)
    assert result.returncode != 0
    assert "LOOKUP_HASH_KEY must be at least 32 characters" in error_line(result)


def test_malformed_fernet_key_stops_startup_without_echoing_it(env):
    env["FIELD_ENCRYPTION_KEY"] = BAD_KEY
    result = check_deploy(env)
    assert result.returncode != 0
    line = error_line(result)
    assert "ImproperlyConfigured" in line
    assert "FIELD_ENCRYPTION_KEY: key 1 of 1 is not a Fernet key" in line
    assert BAD_KEY not in result.stdout + result.stderr


def test_malformed_old_key_in_a_rotation_list_is_found(env):
    env["FIELD_ENCRYPTION_KEY"] = f"{Fernet.generate_key().decode()},{BAD_KEY}"
    result = check_deploy(env)
    assert result.returncode != 0
    assert "FIELD_ENCRYPTION_KEY: key 2 of 2 is not a Fernet key" in error_line(result)


def test_two_valid_keys_for_rotation_start(env):
    new, old = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    env["FIELD_ENCRYPTION_KEY"] = f"{new}, {old}"
    result = check_deploy(env)
    assert result.returncode == 0, result.stdout + result.stderr


PROBE = """
import json, os
from django.test import Client
client = Client(HTTP_HOST=os.environ["ALLOWED_HOSTS"])
health = client.get("/healthz")
api = client.get("/api/v1/cities/")
print(json.dumps({
    "health_status": health.status_code,
    "health": health.json() if health.status_code != 301 else None,
    "api_status": api.status_code,
    "api_location": api.get("Location"),
}))
"""


def test_healthz_is_not_redirected_to_https_and_names_a_dead_cache(env):
    """Probes speak plain HTTP from inside the host; everything else is sent to HTTPS."""
    result = manage(env, "shell", "-c", PROBE)
    assert result.returncode == 0, result.stderr
    answer = json.loads(result.stdout.strip().splitlines()[-1])
    assert answer["health_status"] == 503
    assert answer["health"] == {"status": "error", "database": "ok", "cache": "error"}
    assert answer["api_status"] == 301
    assert answer["api_location"] == f"https://{HOST}/api/v1/cities/"
