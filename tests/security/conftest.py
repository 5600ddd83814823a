"""A real gunicorn for the tests of this package, and the live Celery worker of the
workflow tests."""

import pytest

from benchmarks.server import Gunicorn
from tests.arrivals.workflow.conftest import live_worker  # noqa: F401 - a fixture


@pytest.fixture(scope="session")
def gunicorn(tmp_path_factory):
    """gunicorn -c config/gunicorn.py (the production gunicorn settings: 3 gthread workers,
    JSON logs) with the test settings on a SQLite file of its own."""
    server = Gunicorn(tmp_path_factory.mktemp("gunicorn"))
    server.start()
    try:
        yield server
    finally:
        server.stop()
