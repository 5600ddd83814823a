#!/usr/bin/env python3
"""A Berth integration in one file, with nothing but Python's standard library.

It signs in as a coordinator, serves an HTTP endpoint, subscribes it to a city's
webhooks, verifies the Standard Webhooks signature of every delivery, reads the city's
capacity whenever a `capacity.changed` event arrives, and deletes its subscription when
it is done. docs/integrations.md walks through it; tests/test_examples.py runs it
against a live Berth in CI, so it keeps working.

    python examples/berth_integration.py --base-url http://127.0.0.1:8000 \\
        --username coordinator --password berth-demo-2022 --events 3

Each line it prints is one JSON object: `signed_in`, `subscribed`, then one `event` per
verified delivery (and a `capacity` after each `capacity.changed`; a `timeout` if too few
came), then `deleted` and `signed_out`.

Berth must be able to reach the address it listens on: on one machine the defaults do
(a development Berth lets webhooks go to 127.0.0.1; a production one refuses private
addresses), otherwise pass `--listen 0.0.0.0:8800 --public-url https://you.example/hook`.
"""

import argparse
import base64
import hashlib
import hmac
import json
import queue
import sys
import threading
import time
import urllib.error
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlencode, urlsplit

TOLERANCE_SECONDS = 5 * 60  # refuse deliveries signed longer ago (or ahead) than this
EVENTS = ("party.registered", "party.placed", "capacity.changed")


# --- The REST API --------------------------------------------------------------------


class Berth:
    """A small client of Berth's REST API (docs/api-reference.md)."""

    def __init__(self, base_url: str) -> None:
        if urlsplit(base_url).scheme not in ("http", "https"):
            raise SystemExit("--base-url must be an http:// or https:// URL")
        self.base_url = base_url.rstrip("/")
        self.token = ""

    def call(self, method: str, path: str, body: dict | None = None) -> dict | None:
        request = urllib.request.Request(  # noqa: S310 - the scheme is checked above
            f"{self.base_url}/api/v1/{path}",
            method=method,
            data=json.dumps(body).encode() if body is not None else None,
            headers={"Content-Type": "application/json", "Accept": "application/json"},
        )
        if self.token:
            request.add_header("Authorization", f"Token {self.token}")
        try:
            with urllib.request.urlopen(request, timeout=30) as answer:  # noqa: S310
                text = answer.read()
        except urllib.error.HTTPError as error:
            raise SystemExit(f"{method} {path}: {error.code} {error.read()[:500]!r}") from None
        return json.loads(text) if text else None

    def sign_in(self, username: str, password: str) -> str:
        """A token of its own for this run. It ends at the `expires_at` answered, unless
        used before: each use moves that on (12 hours by default). A program that may sit
        idle longer signs in again when a call answers 401. Returns `expires_at`."""
        answer = self.call("POST", "auth/token/", {"username": username, "password": password})
        self.token = answer["token"]
        return answer["expires_at"]

    def sign_out(self) -> None:
        """End this run's token (other sign-ins of the same person keep theirs)."""
        self.call("POST", "auth/logout/")
        self.token = ""


# --- Standard Webhooks ---------------------------------------------------------------


def signature_valid(secret: str, headers, body: bytes, now: float | None = None) -> bool:
    """Whether a delivery is Berth's: `webhook-signature` holds `v1,<base64>` of the
    HMAC-SHA256, keyed with the secret's decoded bytes, of `{id}.{timestamp}.{body}`,
    and `webhook-timestamp` is recent (which stops an old delivery being replayed)."""
    webhook_id = headers.get("webhook-id", "")
    timestamp = headers.get("webhook-timestamp", "")
    signatures = headers.get("webhook-signature", "")
    if not (webhook_id and timestamp.isdigit() and signatures):
        return False
    if abs((now or time.time()) - int(timestamp)) > TOLERANCE_SECONDS:
        return False
    key = base64.b64decode(secret.removeprefix("whsec_"))
    signed = f"{webhook_id}.{timestamp}.".encode() + body
    expected = base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode()
    # Several signatures may be sent, space separated (while a secret is being rotated).
    for candidate in signatures.split():
        version, _, value = candidate.partition(",")
        if version == "v1" and hmac.compare_digest(value, expected):
            return True
    return False


class Receiver(ThreadingHTTPServer):
    """The endpoint Berth posts to. It answers at once (2xx: delivered; anything else
    is retried by Berth), verifies, skips repeats of a `webhook-id` already handled (a
    delivery may come more than once), and queues the event for the main thread."""

    daemon_threads = True

    def __init__(self, address: tuple[str, int]) -> None:
        super().__init__(address, ReceiverHandler)
        self.secret = ""
        self.seen: set[str] = set()
        self.events: queue.Queue = queue.Queue()
        self.lock = threading.Lock()


class ReceiverHandler(BaseHTTPRequestHandler):
    server: Receiver

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        headers = {name.lower(): value for name, value in self.headers.items()}
        if not self.server.secret or not signature_valid(self.server.secret, headers, body):
            print(json.dumps({"refused": headers.get("webhook-id")}), file=sys.stderr)
            self._answer(401)
            return
        with self.server.lock:
            repeated = headers["webhook-id"] in self.server.seen
            self.server.seen.add(headers["webhook-id"])
        if not repeated:
            self.server.events.put((headers["webhook-id"], json.loads(body)))
        self._answer(204)

    def _answer(self, status: int) -> None:
        self.send_response(status)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args) -> None:
        pass  # quiet: the events are printed by the main thread


# --- The integration -----------------------------------------------------------------


def say(**line) -> None:
    print(json.dumps(line), flush=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--base-url", required=True, help="Berth, e.g. http://127.0.0.1:8000")
    parser.add_argument("--username", required=True, help="a coordinator of the city")
    parser.add_argument("--password", required=True)
    parser.add_argument("--city", help="the city's id (default: the coordinator's first)")
    parser.add_argument("--listen", default="127.0.0.1:0", help="host:port to serve on")
    parser.add_argument("--public-url", help="the URL Berth should post to, if not --listen")
    parser.add_argument("--event", action="append", dest="kinds", help="repeatable")
    parser.add_argument("--events", type=int, default=3, help="stop after this many events")
    parser.add_argument("--timeout", type=float, default=600, help="give up after (seconds)")
    parser.add_argument("--keep", action="store_true", help="keep the subscription at the end")
    args = parser.parse_args(argv)

    berth = Berth(args.base_url)
    say(signed_in=True, token_expires_at=berth.sign_in(args.username, args.password))
    city = args.city or berth.call("GET", "members/me/")["cities"][0]

    host, _, port = args.listen.rpartition(":")
    receiver = Receiver((host, int(port)))
    threading.Thread(target=receiver.serve_forever, daemon=True).start()
    listening = f"http://{host}:{receiver.server_address[1]}/berth-webhooks"
    url = args.public_url or listening

    webhook = berth.call(
        "POST", "webhooks/", {"city": city, "url": url, "events": list(args.kinds or EVENTS)}
    )
    receiver.secret = webhook["secret"]  # shown once: a real integration stores it safely
    say(subscribed=webhook["id"], city=city, url=url, listening=listening)

    handled, deadline = 0, time.monotonic() + args.timeout
    try:
        while handled < args.events:
            left = deadline - time.monotonic()
            if left <= 0:
                say(timeout=args.timeout, handled=handled)
                return 1
            try:
                webhook_id, event = receiver.events.get(timeout=left)
            except queue.Empty:
                continue
            handled += 1
            say(event=event["type"], webhook_id=webhook_id, data=event["data"])
            if event["type"] == "capacity.changed":
                capacity = berth.call("GET", "capacity/?" + urlencode({"city": city}))
                say(capacity={k: v for k, v in capacity.items() if k != "by_kind"})
    finally:
        if not args.keep:
            berth.call("DELETE", f"webhooks/{webhook['id']}/")
            say(deleted=webhook["id"])
        receiver.shutdown()
        berth.sign_out()
        say(signed_out=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
