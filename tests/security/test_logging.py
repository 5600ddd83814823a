"""Issue 10, item 6: no log forging. Every log line is one JSON object with control
characters escaped; the access log writes the path as sent (still percent-encoded); a
request id follows the request into the Celery tasks it enqueues."""

import io
import json
import logging
import re
import sys
import uuid

import pytest
from rest_framework.test import APIClient

from accounts.models import Role
from arrivals.models import Party, PartyStatus
from config.logs import REQUEST_ID, ClientFaultFilter, JsonFormatter, RequestIdFilter, request_id
from tests import factories
from tests.arrivals.workflow.helpers import wait_for

# A newline to forge a second line, NUL, and ESC starting a terminal colour sequence.
FORGING_PATH = "/nothing%0A127.0.0.1%20-%20forged%20200%00%1B[31mred"


def json_lines(text: str) -> list[dict]:
    """Every line of a log, each of which must be one JSON object."""
    lines = text.splitlines()
    assert lines
    parsed = []
    for line in lines:
        record = json.loads(line)
        assert isinstance(record, dict), line
        parsed.append(record)
    return parsed


def test_the_formatter_writes_one_line_with_every_control_character_escaped():
    nasty = "a\nforged line\r\x00\x1b[31m\x7f\x85\u2028\u2029\ud800 Уральск"
    record = logging.LogRecord("berth.test", logging.WARNING, __file__, 1, "%s", (nasty,), None)
    line = JsonFormatter().format(record)
    assert "\n" not in line and "\r" not in line
    assert not re.search("[\x00-\x1f\x7f-\x9f\u2028\u2029\ud800-\udfff]", line)
    assert "Уральск" in line  # other text stays readable
    assert json.loads(line)["message"] == nasty


def test_the_formatter_keeps_a_traceback_on_its_line():
    try:
        raise ValueError("bad\nvalue")
    except ValueError:
        record = logging.LogRecord(
            "berth.test", logging.ERROR, __file__, 1, "failed", (), sys.exc_info()
        )
    line = JsonFormatter().format(record)
    assert "\n" not in line
    assert "ValueError: bad\nvalue" in json.loads(line)["exc"]


def test_a_forging_path_makes_exactly_one_json_line_with_the_raw_path(gunicorn):
    ident = f"forge-{uuid.uuid4().hex}"
    connection = gunicorn.connection()
    connection.request("GET", FORGING_PATH, headers={"X-Request-ID": ident})
    response = connection.getresponse()
    response.read()
    assert response.status == 404
    assert response.getheader("X-Request-ID") == ident
    connection.close()

    def lines_of_the_request():
        records = json_lines(gunicorn.access_log.read_text())
        records += json_lines(gunicorn.error_log.read_text())
        return [record for record in records if record.get("request_id") == ident]

    (line,) = wait_for(lines_of_the_request, timeout=10, what="the access log line")
    assert line["logger"] == "gunicorn.access"
    assert line["path"] == FORGING_PATH  # as sent: still percent-encoded
    assert line["status"] == 404
    assert line["method"] == "GET"
    for log in (gunicorn.access_log, gunicorn.error_log):
        raw = log.read_bytes()
        assert b"\x00" not in raw and b"\x1b" not in raw
        assert not any(line.startswith(b"127.0.0.1 - forged") for line in raw.splitlines())


def test_every_line_of_the_server_logs_is_json(gunicorn):
    connection = gunicorn.connection()
    for path in ("/healthz", "/accounts/login/", "/api/v1/", "/%E2%80%A8%C2%85"):
        connection.request("GET", path)
        connection.getresponse().read()
    connection.close()
    records = json_lines(gunicorn.access_log.read_text())
    assert any(record["path"] == "/healthz" for record in records)
    errors = json_lines(gunicorn.error_log.read_text())
    assert any(record["message"].startswith("Booting worker") for record in errors)


def test_a_sane_request_id_is_kept_and_any_other_replaced(client):
    kept = client.get("/healthz", HTTP_X_REQUEST_ID="0f5c2c1e-proxy-id_1.2")
    assert kept["X-Request-ID"] == "0f5c2c1e-proxy-id_1.2"
    for insane in (
        "short",
        "x" * 65,
        "has space in it",
        "<script>alert(1)</script>",
        "a\u2028bcdefgh",
    ):
        answer = client.get("/healthz", HTTP_X_REQUEST_ID=insane)
        assert answer["X-Request-ID"] != insane
        assert REQUEST_ID.fullmatch(answer["X-Request-ID"])
    made = client.get("/healthz")["X-Request-ID"]
    assert REQUEST_ID.fullmatch(made) and made != client.get("/healthz")["X-Request-ID"]


@pytest.fixture
def captured():
    """Log lines as the console handler writes them (request id filter, JSON formatter)."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.addFilter(RequestIdFilter())
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger()
    root.addHandler(handler)
    level = root.level
    root.setLevel(logging.INFO)
    try:
        yield stream
    finally:
        root.removeHandler(handler)
        root.setLevel(level)


def register(api, city, **headers):
    return api.post(
        "/api/v1/parties/",
        {"city": str(city.id), "consent": True, "members": [{"given_name": "Arman"}]},
        format="json",
        **headers,
    )


@pytest.mark.django_db(transaction=True)
def test_a_task_run_in_process_logs_the_id_of_its_request(captured):
    city = factories.CityFactory()
    factories.SpaceFactory(shelter=factories.ShelterFactory(city=city), beds=5)
    api = APIClient()
    api.force_authenticate(factories.member(Role.VOLUNTEER, cities=[city]))
    ident = f"eager-{uuid.uuid4().hex}"
    answer = register(api, city, HTTP_X_REQUEST_ID=ident)
    assert answer.status_code == 201
    assert answer["X-Request-ID"] == ident
    assert Party.objects.get().status == PartyStatus.PLACED  # the task ran
    records = json_lines(captured.getvalue())
    task_lines = [r for r in records if r.get("task") == "arrivals.tasks.matching_run"]
    assert task_lines, records
    assert {record["request_id"] for record in task_lines} == {ident}
    assert request_id.get() is None  # nothing leaks past the request


@pytest.mark.postgres
@pytest.mark.redis
def test_a_task_in_the_worker_logs_the_id_of_the_request_that_enqueued_it(live_worker):
    city = factories.CityFactory()
    factories.SpaceFactory(shelter=factories.ShelterFactory(city=city), beds=5)
    api = APIClient()
    api.force_authenticate(factories.member(Role.VOLUNTEER, cities=[city]))
    ident = f"worker-{uuid.uuid4().hex}"
    answer = register(api, city, HTTP_X_REQUEST_ID=ident)
    assert answer.status_code == 201
    party = answer.json()["id"]
    wait_for(
        lambda: Party.objects.get(id=party).status == PartyStatus.PLACED,
        what="the worker placed the party",
    )

    def task_lines():
        text = live_worker.log.read_text()
        records = [json.loads(line) for line in text.splitlines() if line.startswith("{")]
        return [r for r in records if r.get("task") == "arrivals.tasks.matching_run"]

    def finished():
        # Celery writes its "succeeded" line after the task returned, so after the
        # party was seen placed: waited for too, not only the first line.
        lines = task_lines()
        return lines if any("succeeded" in record["message"] for record in lines) else []

    lines = wait_for(finished, timeout=10, what="the task's log lines, to its end")
    assert {record["request_id"] for record in lines} == {ident}


@pytest.mark.django_db
def test_a_host_not_allowed_logs_one_warning_line_without_a_traceback():
    # The console handler as settings.LOGGING configured it, writing into a buffer.
    (console,) = [
        handler
        for handler in logging.getLogger().handlers
        if any(isinstance(f, ClientFaultFilter) for f in handler.filters)
    ]
    buffer = io.StringIO()
    stream = console.setStream(buffer)
    try:
        response = APIClient().get("/api/v1/shelters/", HTTP_HOST="scanner.example")
    finally:
        console.setStream(stream)
    assert response.status_code == 400
    lines = [
        record
        for record in json_lines(buffer.getvalue())
        if record["logger"] == "django.security.DisallowedHost"
    ]
    assert len(lines) == 1
    assert lines[0]["level"] == "WARNING"
    assert "scanner.example" in lines[0]["message"]
    assert "exc" not in lines[0]
