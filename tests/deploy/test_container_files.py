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
        if name == "beat":
            assert service["healthcheck"] == {"disable": True}
        else:
            assert service["healthcheck"]["test"], name
    checks = {name: str(s["healthcheck"].get("test")) for name, s in compose["services"].items()}
    assert "pg_isready" in checks["postgres"]
    assert "redis-cli" in checks["redis"] and "ping" in checks["redis"]
    assert "healthcheck.py" in checks["web"]
    assert "inspect ping" in checks["worker"]


def test_app_services_run_their_role_from_the_env_file(compose):
    for role in APP_ROLES:
        service = compose["services"][role]
        assert service["command"] == [role]
        assert service["env_file"] == ".env"
        assert service["build"] == {"context": "..", "dockerfile": "docker/Dockerfile"}


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
    assert "FROM ${PYTHON_IMAGE} AS runtime" in dockerfile
    assert "ARG PYTHON_IMAGE=python:3.11-slim" in dockerfile
    assert re.search(r"^USER 10001:10001$", dockerfile, re.M)
    assert 'ENTRYPOINT ["/app/docker/entrypoint.sh"]' in dockerfile
    assert "HEALTHCHECK" in dockerfile
    assert "collectstatic" in dockerfile
