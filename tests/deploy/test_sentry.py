"""Error reports to Sentry leave without personal data (config.sentry)."""

import io
import json
import os
import subprocess
import sys
from wsgiref.util import setup_testing_defaults

import pytest
import sentry_sdk
from django.core import signals
from django.core.handlers.wsgi import WSGIHandler
from django.db import close_old_connections
from sentry_sdk.transport import Transport

from accounts.services import auth_token_issue
from arrivals import services
from config.sentry import FILTERED, scrub, scrub_breadcrumb, sentry_init
from tests.arrivals.parties.conftest import PARTIES, body
from tests.deploy.test_production_settings import REPO, env  # noqa: F401 - a fixture

PHONE = "+7 701 123-45-67"
# What the registration body of tests.arrivals.parties.conftest carries that is personal.
PERSONAL = ["Aigerim", "Nurlanova", "Timur", PHONE, "7011234567", "Arrived by the night train"]
HOST_NAME = "Gulnara Sadykova"
TOKEN = "9944b09199c62bcf9418ad846dd0e4bbdfc6ee4b"
SESSION = "sessionid-value-5hq3x"
# A party's code in a query string. (Written here, away from the code that fails: the
# stack's source lines, which Sentry sends, would show it otherwise.)
CODE = "7KQ2MX"


def sent(events: list[dict]) -> str:
    return json.dumps(events, ensure_ascii=False)


def realistic_event() -> dict:
    """An event as the Django integration builds it for a failed registration."""
    return {
        "level": "error",
        "platform": "python",
        "sdk": {"name": "sentry.python.django", "version": "2.0.0"},
        "exception": {
            "values": [
                {
                    "type": "RuntimeError",
                    "value": f"could not notify {PHONE}",
                    "stacktrace": {
                        "frames": [
                            {
                                "filename": "arrivals/services.py",
                                "function": "party_register",
                                "lineno": 210,
                                "context_line": "    raise RuntimeError(message)",
                                "vars": {"family_name": "'Nurlanova'", "phone": f"'{PHONE}'"},
                            }
                        ]
                    },
                }
            ]
        },
        "request": {
            "method": "POST",
            "url": "https://berth.example.org/api/v1/parties/",
            "query_string": "code=7KQ2MX",
            "cookies": {"sessionid": SESSION},
            "headers": {
                "Authorization": f"Token {TOKEN}",
                "Cookie": f"sessionid={SESSION}",
                "Content-Type": "application/json",
                "X-Request-ID": "abc123def456",
            },
            "data": {
                "city": "b1c1d1e1-0000-4000-8000-000000000001",
                "contact_phone": PHONE,
                "notes": "Arrived by the night train",
                "members": [
                    {"given_name": "Aigerim", "family_name": "Nurlanova", "sex": "female"},
                    {"given_name": "Timur", "sex": "male", "age_group": "child"},
                ],
                "host_name": HOST_NAME,
            },
        },
        "logentry": {"message": "duplicate phone %s", "params": [PHONE]},
        "extra": {"celery-job": {"args": [], "kwargs": {"contact_phone": PHONE}}},
        "breadcrumbs": {
            "values": [
                {"category": "django.request", "message": "registered, call back 8(701)1234567"},
                {"category": "httplib", "data": {"url": "https://hook.example.org/x"}},
            ]
        },
    }


def test_a_realistic_event_keeps_what_helps_and_loses_the_personal_data():
    event = scrub(realistic_event())
    text = sent([event])
    for value in [*PERSONAL, HOST_NAME, TOKEN, SESSION, "8(701)1234567", "7KQ2MX"]:
        assert value not in text, value
    request = event["request"]
    assert "query_string" not in request and "cookies" not in request
    assert request["headers"]["Authorization"] == FILTERED
    assert request["headers"]["Cookie"] == FILTERED
    assert request["headers"]["X-Request-ID"] == "abc123def456"
    assert request["data"]["city"] == "b1c1d1e1-0000-4000-8000-000000000001"
    assert request["data"]["members"][0] == {
        "given_name": FILTERED,
        "family_name": FILTERED,
        "sex": "female",
    }
    exception = event["exception"]["values"][0]
    assert exception["type"] == "RuntimeError"
    assert exception["value"] == f"could not notify {FILTERED}"
    frame = exception["stacktrace"]["frames"][0]
    assert frame["function"] == "party_register" and frame["lineno"] == 210
    assert "vars" not in frame
    assert event["sdk"]["name"] == "sentry.python.django"
    assert event["breadcrumbs"]["values"][1]["data"]["url"] == "https://hook.example.org/x"


def test_a_body_kept_as_text_is_scrubbed_by_key_and_pattern():
    raw = json.dumps({"contact_phone": PHONE, "members": [{"family_name": "Nurlanova"}]})
    event = scrub({"request": {"data": raw}})
    assert PHONE not in event["request"]["data"] and "Nurlanova" not in event["request"]["data"]
    assert json.loads(event["request"]["data"])["contact_phone"] == FILTERED
    truncated = raw[:-5]  # Sentry cuts long bodies: no longer JSON
    event = scrub({"request": {"data": truncated}})
    assert PHONE not in event["request"]["data"]


def test_breadcrumbs_are_scrubbed():
    crumb = scrub_breadcrumb({"message": f"sms to {PHONE}", "data": {"phone": PHONE}})
    assert PHONE not in sent([crumb])


def test_dates_ids_and_counts_are_not_taken_for_phones():
    text = "run 3f2a1c9e-1b2c-4d5e-8f90-1234567890ab at 2026-12-02T21:15:25 placed 120 of 4000"
    assert scrub({"message": text})["message"] == text


class Capture(Transport):
    def __init__(self, options=None):
        super().__init__(options)
        self.events: list[dict] = []

    def capture_envelope(self, envelope):
        for item in envelope.items:
            if item.type in ("event", "transaction"):
                self.events.append(item.payload.json)


@pytest.fixture
def sentry():
    transport = Capture()
    sentry_init(
        "https://public@sentry.example.org/1",
        environment="test",
        transport=transport,
        default_integrations=False,
    )
    try:
        yield transport
    finally:
        sentry_sdk.get_client().close()
        sentry_sdk.get_global_scope().set_client(None)


def wsgi_post(path: str, data: dict, **headers: str) -> str:
    """POST through Django's WSGI handler, as gunicorn calls it (where Sentry reads the
    request), in the test's database transaction. Returns the status line."""
    payload = json.dumps(data).encode()
    environ = {
        "REQUEST_METHOD": "POST",
        "PATH_INFO": path.split("?")[0],
        "QUERY_STRING": path.partition("?")[2],
        "CONTENT_TYPE": "application/json",
        "CONTENT_LENGTH": str(len(payload)),
        "wsgi.input": io.BytesIO(payload),
        **{f"HTTP_{name.upper()}": value for name, value in headers.items()},
    }
    setup_testing_defaults(environ)
    answer = []
    # As Django's test client does: the test's connection stays open across the request.
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    try:
        response = WSGIHandler()(environ, lambda status, headers, *args: answer.append(status))
        response.close()
    finally:
        signals.request_started.connect(close_old_connections)
        signals.request_finished.connect(close_old_connections)
    return answer[0]


@pytest.mark.django_db
def test_a_failed_registration_reaches_sentry_without_personal_data(
    sentry, volunteer, city, monkeypatch
):
    def fail(**kwargs):
        raise RuntimeError(f"could not register the party of {kwargs.get('contact_phone')}")

    monkeypatch.setattr(services, "party_register", fail)
    _row, token = auth_token_issue(user=volunteer)
    status = wsgi_post(
        f"{PARTIES}?code={CODE}",
        body(city),
        authorization=f"Token {token}",
        cookie=f"sessionid={SESSION}",
        host="testserver",
    )
    assert status.startswith("500")
    sentry_sdk.flush()
    assert sentry.events, "the error was not sent"
    event = sentry.events[0]
    assert event["exception"]["values"][0]["type"] == "RuntimeError"
    request = event["request"]
    assert request["url"] == f"http://testserver{PARTIES}"
    assert request["method"] == "POST"
    assert request["headers"]["Authorization"] == FILTERED
    text = sent(sentry.events)
    for value in [*PERSONAL, SESSION, token, CODE, volunteer.username]:
        assert value not in text, value
    # The body was kept (a small one), scrubbed: the error is still understandable.
    assert request["data"]["members"][1]["age_group"] == "child"
    assert request["data"]["members"][0]["family_name"] == FILTERED


def test_production_settings_start_sentry_with_the_scrubber_when_a_dsn_is_set(env):  # noqa: F811
    env["SENTRY_DSN"] = "https://public@sentry.example.org/1"
    probe = (
        "import json, sentry_sdk; o = sentry_sdk.get_client().options; "
        "print(json.dumps({'active': sentry_sdk.get_client().is_active(), "
        "'pii': sentry_sdk.get_client().should_send_default_pii(), "
        "'locals': o['include_local_variables'], "
        "'before_send': o['before_send'].__module__ + '.' + o['before_send'].__name__, "
        "'integrations': sorted(sentry_sdk.get_client().integrations)}))"
    )
    result = subprocess.run(  # noqa: S603 - our own interpreter and manage.py
        [sys.executable, "manage.py", "shell", "-c", probe],
        cwd=REPO,
        env={**env, "PATH": os.environ.get("PATH", "")},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    answer = json.loads(result.stdout.strip().splitlines()[-1])
    assert answer["active"] is True
    assert answer["pii"] is False
    assert answer["locals"] is False
    assert answer["before_send"] == "config.sentry.scrub"
    assert {"django", "celery"} <= set(answer["integrations"])
