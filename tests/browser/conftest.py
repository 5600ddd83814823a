"""Browser tests: Playwright for Python driving Debian's chromium at a phone's size.

Skipped (and listed as skipped) without chromium, the playwright package or axe-core
(`npm ci`); with REQUIRE_SERVICES=1, as in CI, they fail instead. `.ci/run` installs
chromium with apt-get and axe-core with npm. Playwright's own browser download is never
used: the browser is launched from /usr/bin/chromium (BERTH_CHROMIUM to change it).

Each test gets its own live server on a fresh port (so its own service worker and
storage) and a new browser context the size of a phone, 390x844. The server answers one
request at a time, and the tests read the database under the same lock: with SQLite the
server's threads and the test share one in-memory connection.
"""

import os
import threading
import time
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.staticfiles.handlers import StaticFilesHandler
from django.db import connections
from django.test import Client
from django.test.testcases import LiveServerThread

from tests.conftest import _missing

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = Path(os.environ.get("BERTH_CHROMIUM", "/usr/bin/chromium"))
AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
SCREENSHOTS = ROOT / "artifacts" / "screenshots"
PHONE = {
    "viewport": {"width": 390, "height": 844},
    "device_scale_factor": 2,
    "is_mobile": True,
    "has_touch": True,
}
SERVER_LOCK = threading.RLock()


@pytest.fixture(scope="module")
def chromium():
    """Debian's chromium, driven by Playwright, for the tests of one module."""
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _missing("the browser tests need playwright: pip install -e '.[dev]'")
    if not CHROMIUM.exists():
        _missing(f"the browser tests need {CHROMIUM}: apt-get install chromium")
    # Playwright's sync API keeps an event loop in this thread while it runs; the tests'
    # own ORM calls are plain synchronous ones all the same. Only for this module: the
    # loop ends with it.
    allowed = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    api = sync_playwright().start()
    try:
        browser = api.chromium.launch(executable_path=str(CHROMIUM))
        yield browser
        browser.close()
    finally:
        api.stop()
        if allowed is None:
            del os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"]
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = allowed


@pytest.fixture
def axe_source() -> str:
    if not AXE.exists():
        _missing(f"the accessibility checks need axe-core in {AXE.parent}: npm ci")
    return AXE.read_text(encoding="utf-8")


class _OneAtATime(StaticFilesHandler):
    def __call__(self, environ, start_response):
        with SERVER_LOCK:
            return super().__call__(environ, start_response)


@pytest.fixture
def server(transactional_db):
    """The site at http://localhost:<port>, for this test only."""
    shared = {
        conn.alias: conn
        for conn in connections.all()
        if conn.vendor == "sqlite" and conn.is_in_memory_db()
    }
    thread = LiveServerThread("localhost", _OneAtATime, connections_override=shared, port=0)
    thread.daemon = True
    for conn in shared.values():
        conn.inc_thread_sharing()
    running = set(threading.enumerate())
    try:
        thread.start()
        thread.is_ready.wait()
        if thread.error:
            raise thread.error
        yield f"http://localhost:{thread.port}"
    finally:
        thread.terminate()
        # The threads of the last requests close their connection as they end: let them,
        # before the shared connection is this thread's alone again.
        # Only the server's request threads: others the test started (a worker's, a
        # pool's) may outlive it and would cost the whole wait.
        deadline = time.monotonic() + 10
        for other in set(threading.enumerate()) - running:
            if "process_request_thread" in other.name:
                other.join(max(0.0, deadline - time.monotonic()))
        for conn in shared.values():
            conn.dec_thread_sharing()


def locked(read):
    """Runs `read` (a database read) while the server answers nothing."""
    with SERVER_LOCK:
        return read()


@pytest.fixture
def phone(chromium, server):
    context = chromium.new_context(base_url=server, **PHONE)
    context.set_default_timeout(15_000)
    yield context
    context.close()


def log_in(context, server: str, user) -> None:
    """Gives the browser a session of `user`, as if it had logged in."""
    client = Client()
    with SERVER_LOCK:
        client.force_login(user)
    cookie = client.cookies[settings.SESSION_COOKIE_NAME].value
    context.add_cookies([{"name": settings.SESSION_COOKIE_NAME, "value": cookie, "url": server}])


def set_language(context, server: str, language: str) -> None:
    context.add_cookies([{"name": settings.LANGUAGE_COOKIE_NAME, "value": language, "url": server}])


def screenshot(page, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)
