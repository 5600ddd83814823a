"""The container files, checked without Docker: what can be read, parsed and linted."""

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parents[2]
DOCKER = REPO / "docker"
APP_ROLES = {"web", "worker", "beat"}
# Read by the settings but meant for a developer's machine, or set by the image.
NOT_FOR_OPERATORS = {"DEBUG", "SQLITE_PATH", "DJANGO_SETTINGS_MODULE", "APP_DIR", "PORT"}
NOT_FOR_OPERATORS |= {"CELERY_BEAT_SCHEDULE_FILE"}


@pytest.fixture(scope="module")
def compose() -> dict:
    return yaml.safe_load((DOCKER / "compose.yml").read_text())


def test_compose_has_the_five_services(compose):
    assert set(compose["services"]) == {"postgres", "redis", *APP_ROLES}
    assert compose["services"]["postgres"]["image"] == "postgres:16"
    assert compose["services"]["redis"]["image"] == "redis:7"


def test_every_service_restarts_and_is_probed(compose):
    for name, service in compose["services"].items():
        assert service["restart"] == "unless-stopped", name
        assert service["healthcheck"]["test"], name
    checks = {name: str(s["healthcheck"].get("test")) for name, s in compose["services"].items()}
    assert "pg_isready" in checks["postgres"]
    assert "redis-cli" in checks["redis"] and "ping" in checks["redis"]
    assert "healthcheck.py" in checks["web"]
    assert "inspect ping" in checks["worker"]
    assert compose["services"]["beat"]["healthcheck"]["test"] == [
        "CMD",
        "python",
        "/app/docker/healthcheck.py",
        "beat",
    ]


def test_the_probes_ask_what_the_entrypoint_starts(compose):
    """docker/smoke.sh runs these probes against containers started by the entrypoint;
    here, what ties them together without Docker."""
    entrypoint = (DOCKER / "entrypoint.sh").read_text()
    worker = entrypoint.split("  worker)", 1)[1].split(";;", 1)[0]
    # The probe pings celery@$HOSTNAME: the worker keeps Celery's default node name.
    assert "celery -A config" in worker and " worker" in worker
    assert "-n " not in worker and "--hostname" not in worker
    probe = compose["services"]["worker"]["healthcheck"]["test"]
    assert probe[0] == "CMD-SHELL" and '--destination "celery@$${HOSTNAME}"' in probe[1]
    # The web probe asks port $PORT (8000), where gunicorn listens by default.
    gunicorn = (REPO / "config" / "gunicorn.py").read_text()
    assert "os.environ.get('PORT', '8000')" in gunicorn
    assert 'os.environ.get("PORT", "8000")' in (DOCKER / "healthcheck.py").read_text()
    assert "exec gunicorn -c config/gunicorn.py" in entrypoint
    # Beat records its ticks with the scheduler the settings name, which the probe reads.
    assert "exec celery -A config --quiet beat" in entrypoint


def test_compose_project_is_named_in_the_env_file(compose):
    # Debian 12's docker-compose refuses a top-level `name:`; the .env file names it.
    assert "name" not in compose
    assert re.search(r"^COMPOSE_PROJECT_NAME=berth$", (DOCKER / ".env.example").read_text(), re.M)


def test_app_services_run_their_role_from_the_env_file(compose):
    for role in APP_ROLES:
        service = compose["services"][role]
        assert service["command"] == [role]
        assert service["env_file"] == ".env"
        assert service["build"] == {
            "context": "..",
            "dockerfile": "docker/Dockerfile",
            "args": {"BASE_IMAGE": "${BASE_IMAGE:-python:3.11-slim-bookworm}"},
        }


def test_app_services_wait_for_healthy_dependencies(compose):
    healthy = {"condition": "service_healthy"}
    web = compose["services"]["web"]["depends_on"]
    assert web == {"postgres": healthy, "redis": healthy}
    for role in ("worker", "beat"):
        # A healthy web has applied the migrations.
        assert compose["services"][role]["depends_on"] == {**web, "web": healthy}


def test_exactly_one_beat_with_a_kept_schedule(compose):
    beat = compose["services"]["beat"]
    assert beat["deploy"]["replicas"] == 1
    assert any(volume.endswith(":/var/lib/berth") for volume in beat["volumes"])


def test_env_example_documents_every_variable():
    documented = set(
        re.findall(r"^#?\s*([A-Z][A-Z0-9_]*)=", (DOCKER / ".env.example").read_text(), re.M)
    )
    read = set()
    for path in (REPO / "config" / "settings").glob("*.py"):
        read |= set(
            re.findall(
                r"(?:environ\.get|environ\[|env_bool|env_list|getenv)\(?\s*[\"']([A-Z0-9_]+)",
                path.read_text(),
            )
        )
    # ${NAME...} that the shell or Compose expands; $${NAME} is the container's own.
    expanded = r"(?<!\$)\$\{([A-Z][A-Z0-9_]*)"
    read |= set(re.findall(expanded, (DOCKER / "entrypoint.sh").read_text()))
    read |= set(re.findall(expanded, (DOCKER / "compose.yml").read_text()))
    missing = sorted(read - documented - NOT_FOR_OPERATORS)
    assert not missing, f"document these in docker/.env.example: {missing}"


def test_env_example_leaves_every_secret_empty():
    values = dict(
        re.findall(r"^([A-Z][A-Z0-9_]*)=(.*)$", (DOCKER / ".env.example").read_text(), re.M)
    )
    for name in ("SECRET_KEY", "FIELD_ENCRYPTION_KEY", "LOOKUP_HASH_KEY", "POSTGRES_PASSWORD"):
        assert values[name] == "", name


@pytest.mark.skipif(shutil.which("sh") is None, reason="no POSIX shell")
def test_entrypoint_is_valid_shell_and_executable():
    entrypoint = DOCKER / "entrypoint.sh"
    assert os.access(entrypoint, os.X_OK)
    result = subprocess.run(  # noqa: S603
        ["sh", "-n", str(entrypoint)],  # noqa: S607
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr


def test_dockerfile_runs_as_a_user_with_a_health_check():
    dockerfile = (DOCKER / "Dockerfile").read_text()
    # The base is an argument: the official image, or a local one (make-base-image.sh).
    assert "ARG BASE_IMAGE=python:3.11-slim-bookworm" in dockerfile
    assert "FROM ${BASE_IMAGE} AS build" in dockerfile
    assert "FROM ${BASE_IMAGE} AS runtime" in dockerfile
    assert "RUN python3 -m venv /opt/venv" in dockerfile
    assert re.search(r"^USER 10001:10001$", dockerfile, re.M)
    assert 'ENTRYPOINT ["/app/docker/entrypoint.sh"]' in dockerfile
    assert "HEALTHCHECK" in dockerfile
    assert "collectstatic" in dockerfile


def test_the_image_installs_the_locked_versions_only():
    dockerfile = (DOCKER / "Dockerfile").read_text()
    assert "COPY requirements/production.txt requirements/production.txt" in dockerfile
    assert "pip install --require-hashes --no-deps -r requirements/production.txt" in dockerfile
    assert "pip install ." not in dockerfile
    locked = (REPO / "requirements" / "production.txt").read_text()
    assert re.search(r"^django==5\.2\.\d+ \\$", locked, re.M | re.I)
    assert "--hash=sha256:" in locked
    assert "pytest" not in locked  # no dev extras


def test_the_build_context_leaves_out_tests_secrets_and_local_state():
    ignored = set((REPO / ".dockerignore").read_text().split())
    for entry in ("tests", "benchmarks", ".git", ".venv", ".env", "**/.env", "docker/.env"):
        assert entry in ignored, entry
    assert "**/*.pem" in ignored and "**/*.key" in ignored
    assert "requirements/dev.txt" in ignored
