"""Issue 10, item 8: workers are not recycled, so no keep-alive request is dropped under load."""

import importlib.util
import re
from pathlib import Path

import yaml

from benchmarks.keepalive import fire

REPO = Path(__file__).resolve().parents[2]


def gunicorn_settings():
    spec = importlib.util.spec_from_file_location("berth_gunicorn", REPO / "config/gunicorn.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_workers_are_not_recycled_and_stop_gracefully():
    conf = gunicorn_settings()
    assert conf.max_requests == 0
    assert conf.worker_class == "gthread"
    assert conf.graceful_timeout >= 30
    # Longer than a proxy keeps an idle upstream connection (nginx: 60 s).
    assert conf.keepalive > 60


def test_docker_lets_a_stopping_gunicorn_finish_its_requests():
    compose = yaml.safe_load((REPO / "docker" / "compose.yml").read_text())
    grace = compose["services"]["web"]["stop_grace_period"]
    assert int(grace.rstrip("s")) > gunicorn_settings().graceful_timeout


def test_production_and_make_run_use_these_settings():
    entrypoint = (REPO / "docker" / "entrypoint.sh").read_text()
    assert "gunicorn -c config/gunicorn.py config.wsgi:application" in entrypoint
    assert "--max-requests" not in entrypoint
    makefile = (REPO / "Makefile").read_text()
    assert re.search(r"gunicorn -c config/gunicorn\.py \\\n\s+config\.wsgi", makefile)
    assert "--max-requests" not in makefile


def test_no_keep_alive_request_is_lost_under_load(gunicorn):
    """The production gunicorn settings: 3 workers of 4 threads, 8 clients at once."""
    result = fire(gunicorn, requests=1500, clients=8)
    assert result["lost"] == 0, result
    assert result["ok"] == 1500
    # Every client kept its one connection: nothing was closed under it.
    assert result["connections"] == 8, result
    assert "Autorestarting worker" not in gunicorn.error_log.read_text()
