"""Gunicorn's settings, for production (docker/entrypoint.sh) and `make run` alike:

    gunicorn -c config/gunicorn.py config.wsgi

The environment tunes it (docker/.env.example): WEB_CONCURRENCY, GUNICORN_THREADS,
GUNICORN_TIMEOUT, GUNICORN_KEEPALIVE, GUNICORN_BIND (or PORT), LOG_LEVEL; options on
the command line win over this file.

- Workers are not recycled (no max_requests). A recycled gthread worker closes the
  keep-alive connections it holds, and a request already on its way on one of them is
  lost: about 1% of keep-alive requests under load. Berth's processes do not grow
  without bound, so there is nothing to recycle for; `make bench` (benchmarks/keepalive.py)
  counts the requests lost under load: none.
- Logs are JSON lines (config/logs.py), the error log and the access log alike. The
  access log writes the path as it came, still percent-encoded, without the query
  string (it may carry a party's code), with the request's id.
- The Server header names no software and no version.
"""

import importlib.util
import os
from pathlib import Path

import gunicorn.http.wsgi
from gunicorn import glogging

# This file is read by path, in the master, before Django: load config/logs.py (plain
# Python) by path too, rather than importing the `config` package (and Celery with it).
_spec = importlib.util.spec_from_file_location("berth_logs", Path(__file__).with_name("logs.py"))
logs = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(logs)

bind = [os.environ.get("GUNICORN_BIND") or f"0.0.0.0:{os.environ.get('PORT', '8000')}"]
workers = int(os.environ.get("WEB_CONCURRENCY", "3"))
worker_class = "gthread"
threads = int(os.environ.get("GUNICORN_THREADS", "4"))
# Seconds before a stuck request's worker is restarted, and for a stopping worker to
# finish the requests it has.
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "60"))
graceful_timeout = 30
# Idle keep-alive connections are kept this long. A reverse proxy that keeps upstream
# connections open must close them first (nginx: keepalive_timeout below this in its
# upstream block), or it may send a request on a connection gunicorn is closing.
keepalive = int(os.environ.get("GUNICORN_KEEPALIVE", "75"))
# No recycling: see above.
max_requests = 0
max_requests_jitter = 0
# The workers' heartbeat files (made with mkstemp) in memory, not on a container's disk.
_SHM = "/dev/shm"  # noqa: S108
if os.path.isdir(_SHM):
    worker_tmp_dir = _SHM

accesslog = "-"
errorlog = "-"
loglevel = os.environ.get("LOG_LEVEL", "INFO").lower()

# "Server: gunicorn" (with its version in older releases) tells an attacker what to try.
gunicorn.http.wsgi.SERVER = "berth"
gunicorn.http.wsgi.SERVER_SOFTWARE = "berth"


def _header(resp, name: str) -> str | None:
    for key, value in resp.headers:
        if key.lower() == name:
            return value
    return None


class JsonLogger(glogging.Logger):
    """Gunicorn's logs as JSON lines, with control characters escaped."""

    def setup(self, cfg):
        super().setup(cfg)
        formatter = logs.JsonFormatter()
        for log in (self.error_log, self.access_log):
            for handler in log.handlers:
                handler.setFormatter(formatter)

    def access(self, resp, req, environ, request_time):
        if not self.access_log.handlers:
            return
        # The request target as sent (percent-encoding kept), without the query string.
        path = (environ.get("RAW_URI") or req.uri or "").split("?", 1)[0]
        status = getattr(resp, "status_code", None)
        method = environ.get("REQUEST_METHOD")
        self.access_log.info(
            "%s %s %s",
            method,
            path,
            status,
            extra={
                "method": method,
                "path": path,
                "protocol": environ.get("SERVER_PROTOCOL"),
                "status": status,
                "bytes": getattr(resp, "sent", None),
                "duration_ms": round(request_time.total_seconds() * 1000, 1),
                "remote_addr": environ.get("REMOTE_ADDR"),
                "request_id": _header(resp, "x-request-id"),
            },
        )


logger_class = JsonLogger
