"""Structured logs: one JSON object a line, and a request id that follows each request.

Plain Python (no Django), so that the gunicorn config can use it too.

- `JsonFormatter` writes each record as one line of JSON. Control characters in any
  field (a newline or a NUL in a path, ESC of a terminal sequence, DEL and the C1
  range, the Unicode line separators) are escaped, so no input can forge a line or
  reach a terminal raw.
- `request_id` holds the id of the request (or task) being handled; the middleware
  sets it from a sane `X-Request-ID` or makes one, Celery carries it into the tasks
  the request enqueues (config.celery), and `RequestIdFilter` adds it to every record.
"""

import contextvars
import json
import logging
import re
import traceback
import uuid
from datetime import UTC, datetime

request_id: contextvars.ContextVar[str | None] = contextvars.ContextVar("request_id", default=None)
# The Celery task being run, if any (config.celery).
task_name: contextvars.ContextVar[str | None] = contextvars.ContextVar("task_name", default=None)

# What we accept from a client or a proxy: 8 to 64 letters, digits, dots, dashes and
# underscores (a UUID with or without dashes, nginx's $request_id). Anything else is
# replaced, so an id never carries markup, spaces or control characters into a log.
REQUEST_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{7,63}")


def new_request_id() -> str:
    return uuid.uuid4().hex


def sane_request_id(value: str | None) -> str:
    """The id to use for a request that came with `value` (None when absent)."""
    if value and REQUEST_ID.fullmatch(value):
        return value
    return new_request_id()


# json.dumps escapes what is below U+0020; these it leaves as they are.
_UNSAFE = re.compile("[\x7f-\x9f\u2028\u2029\ud800-\udfff]")


def to_json_line(fields: dict) -> str:
    """One line of JSON: control characters escaped, other text as it is (readable Cyrillic)."""
    text = json.dumps(fields, ensure_ascii=False, default=str, separators=(", ", ": "))
    return _UNSAFE.sub(lambda match: f"\\u{ord(match.group()):04x}", text)


# Attributes every LogRecord has; anything else was passed as `extra` and is logged too.
_STANDARD = set(vars(logging.LogRecord("", 0, "", 0, "", (), None))) | {"message", "asctime"}
# Extras that are objects, not facts: Django's `request` (its repr has the decoded path)
# and the server's socket.
_SKIPPED = {"request", "server_time", "socket"}


class JsonFormatter(logging.Formatter):
    """`{"time", "level", "logger", "message", "request_id", ...extras, "exc"}` a line."""

    def format(self, record: logging.LogRecord) -> str:
        fields = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "request_id": getattr(record, "request_id", None) or request_id.get(),
        }
        task = task_name.get()
        if task:
            fields["task"] = task
        for name, value in vars(record).items():
            if name not in _STANDARD and name not in _SKIPPED and name not in fields:
                fields[name] = value
        if record.exc_info:
            fields["exc"] = "".join(traceback.format_exception(*record.exc_info)).rstrip()
        elif record.exc_text:
            fields["exc"] = record.exc_text
        if record.stack_info:
            fields["stack"] = record.stack_info
        return to_json_line(fields)


class RequestIdFilter(logging.Filter):
    """Puts the current request id on every record (None outside a request or task)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if getattr(record, "request_id", None) is None:
            record.request_id = request_id.get()
        return True


class ClientFaultFilter(logging.Filter):
    """Django's `django.security.*` records (a Host header not allowed, too many fields,
    a bad session): the client's doing, not the server's. One line at WARNING, without
    the traceback Django attaches, so that a scanner cannot fill the logs with them."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.name.startswith("django.security."):
            record.exc_info = record.exc_text = None
            if record.levelno > logging.WARNING:
                record.levelno, record.levelname = logging.WARNING, "WARNING"
        return True
