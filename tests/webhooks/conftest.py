"""A real HTTP receiver on a loopback port, and helpers to subscribe to it."""

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from accounts.models import Role
from tests import factories


class Receiver:
    """An integration's endpoint: a real HTTP server in a thread, on a free port of
    127.0.0.1. It answers each POST with the next of `answers` (then `default`), after
    sleeping the next of `delays` (then not at all), and keeps what it was sent."""

    def __init__(self) -> None:
        self.answers: list[int] = []
        self.delays: list[float] = []
        self.default = 204
        self.received: list[dict] = []
        self.arrived = threading.Condition()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                with receiver.arrived:
                    status = receiver.answers.pop(0) if receiver.answers else receiver.default
                    delay = receiver.delays.pop(0) if receiver.delays else 0
                    receiver.received.append(
                        {
                            "path": self.path,
                            "headers": {k.lower(): v for k, v in self.headers.items()},
                            "body": body,
                            "status": status,
                        }
                    )
                    receiver.arrived.notify_all()
                time.sleep(delay)
                try:
                    self.send_response(status)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                except OSError:
                    pass  # the sender went away (a killed worker)

            def log_message(self, format, *args) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.server.block_on_close = False  # a handler may still sleep for a killed sender
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/hooks/berth"

    def start(self) -> "Receiver":
        self.thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def wait(self, count: int, timeout: float = 30) -> list[dict]:
        """Wait until `count` requests have arrived; return them all."""
        deadline = time.monotonic() + timeout
        with self.arrived:
            while len(self.received) < count:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError(f"{len(self.received)} of {count} webhooks arrived")
                self.arrived.wait(left)
            return list(self.received)

    def bodies(self) -> list[dict]:
        return [json.loads(item["body"]) for item in self.received]

    def accepted(self) -> list[dict]:
        return [item for item in self.received if 200 <= item["status"] < 300]


@pytest.fixture
def receiver():
    receiver = Receiver().start()
    yield receiver
    receiver.stop()


ALL_EVENTS = [
    "party.registered",
    "party.placed",
    "party.checked_in",
    "party.checked_out",
    "party.cancelled",
    "party.expired",
    "shelter.updated",
    "capacity.changed",
]


def subscribe(client, city, url: str, events=("party.registered",)) -> dict:
    answer = client.post(
        "/api/v1/webhooks/",
        {"city": str(city.id), "url": url, "events": list(events)},
        format="json",
    )
    assert answer.status_code == 201, answer.content
    return answer.json()


@pytest.fixture
def coordinator(city):
    return factories.member(Role.COORDINATOR, cities=[city], email="coordinator@example.org")
