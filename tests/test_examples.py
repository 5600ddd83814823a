"""The examples of docs/integrations.md run, end to end, against a live Berth: so they
cannot go stale. The example is a separate program; Berth serves it from this process
(pytest-django's live server) and sends its webhooks in-process after each commit."""

import json
import queue
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
import requests
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from knox.models import AuthToken

from accounts.models import Role
from shelters import services as shelters
from tests import factories
from webhooks.models import Subscription

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "examples" / "berth_integration.py"

pytestmark = pytest.mark.django_db(transaction=True)


class Program:
    """A program whose stdout lines (JSON) are read as they come."""

    def __init__(self, *args: str) -> None:
        self.process = subprocess.Popen(  # noqa: S603 - our own example, fixed arguments
            [sys.executable, *args],
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        self.lines: queue.Queue = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        for line in self.process.stdout:
            self.lines.put(json.loads(line))

    def next(self, key: str, timeout: float = 60) -> dict:
        """The next line that has `key` (earlier ones are skipped)."""
        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            try:
                line = self.lines.get(timeout=max(left, 0.01))
            except queue.Empty:
                self.process.kill()
                raise AssertionError(f"no {key!r} line: {self.process.stderr.read()}") from None
            if key in line:
                return line

    def finish(self, timeout: float = 60) -> int:
        try:
            return self.process.wait(timeout=timeout)
        finally:
            if self.process.poll() is None:
                self.process.kill()


def test_the_integration_example_subscribes_verifies_and_reads_capacity(live_server):
    city = factories.CityFactory()
    coordinator = factories.member(Role.COORDINATOR, cities=[city])
    space = factories.SpaceFactory(shelter=factories.ShelterFactory(city=city), beds=10)
    program = Program(
        str(EXAMPLE),
        "--base-url",
        live_server.url,
        "--username",
        coordinator.username,
        "--password",
        factories.PASSWORD,
        "--events",
        "2",
        "--timeout",
        "90",
    )

    signed_in = program.next("signed_in")
    assert parse_datetime(signed_in["token_expires_at"]) > timezone.now()
    subscribed = program.next("subscribed")
    assert subscribed["city"] == str(city.id)
    assert Subscription.objects.get().url == subscribed["url"]
    # A delivery that Berth did not sign is refused.
    forged = requests.post(
        subscribed["listening"],
        data=b'{"type":"capacity.changed","timestamp":"2022-09-28T08:00:00Z","data":{}}',
        headers={
            "webhook-id": "msg_forged",
            "webhook-timestamp": str(int(time.time())),
            "webhook-signature": "v1,AAAA",
        },
        timeout=10,
    )
    assert forged.status_code == 401

    shelters.space_update(space_id=space.id, data={"beds": 25})
    event = program.next("event")
    assert event["event"] == "capacity.changed"
    assert event["webhook_id"].startswith("msg_")
    assert event["data"]["space"] == str(space.id) and event["data"]["beds"] == 25
    assert program.next("capacity")["capacity"]["beds_total"] == 25

    shelters.space_update(space_id=space.id, data={"beds": 30})
    assert program.next("capacity")["capacity"]["beds_free"] == 30
    assert program.next("deleted")["deleted"] == subscribed["subscribed"]
    assert program.next("signed_out")
    assert program.finish() == 0
    assert not Subscription.objects.exists()
    assert not AuthToken.objects.filter(user=coordinator).exists()  # its token ended
