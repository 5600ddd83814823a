"""A real Celery worker on Redis and PostgreSQL, killed with SIGKILL while it delivers:
the delivery stays pending, and once its lease has run out the timer hands it to a new
worker, which sends it again under the same `webhook-id`."""

import pytest
from rest_framework.test import APIClient

from tests.arrivals.workflow.conftest import live_worker  # noqa: F401 - the fixture
from tests.arrivals.workflow.helpers import wait_for
from webhooks import services
from webhooks.models import Attempt, Delivery, DeliveryStatus

from .conftest import subscribe

pytestmark = [pytest.mark.postgres, pytest.mark.redis]
LEASE_SECONDS = 4


@pytest.fixture
def short_lease(monkeypatch, settings):
    """The workers (started after this) and the timer hold a delivery 4 s, not 60."""
    monkeypatch.setenv("WEBHOOK_LEASE_SECONDS", str(LEASE_SECONDS))
    monkeypatch.setenv("WEBHOOK_TIMEOUT_SECONDS", "3")
    settings.WEBHOOK_LEASE_SECONDS = LEASE_SECONDS


def test_a_worker_killed_mid_delivery_is_followed_by_a_redelivery(
    short_lease,
    live_worker,  # noqa: F811 - the fixture imported above
    receiver,
    city,
    coordinator,
):
    receiver.delays = [10]  # the first try hangs: the worker is killed while it waits
    client = APIClient()
    client.force_authenticate(coordinator)
    subscribe(client, city, receiver.url)

    answer = client.post(
        "/api/v1/parties/",
        {"city": str(city.id), "consent": True, "members": [{"given_name": "Ana"}]},
        format="json",
    )
    assert answer.status_code == 201
    first = receiver.wait(1, timeout=60)[0]
    live_worker.kill()

    delivery = Delivery.objects.get()
    assert delivery.status == DeliveryStatus.PENDING
    assert delivery.locked_until is not None  # taken by the dead worker, for its lease
    assert not Attempt.objects.exists()  # it died before it could log the try

    live_worker.start()
    # The timer (beat, every 30 s in production) queues the delivery once the dead
    # worker's lease has run out; before that it leaves it alone.
    wait_for(lambda: services.deliveries_due_send() > 0, timeout=60, what="the lease to run out")
    second = receiver.wait(2, timeout=60)[1]
    assert second["headers"]["webhook-id"] == first["headers"]["webhook-id"]
    assert second["body"] == first["body"]
    wait_for(
        lambda: Delivery.objects.get().status == DeliveryStatus.DELIVERED,
        timeout=60,
        what="the new worker to record the delivery",
    )
    assert list(Attempt.objects.values_list("number", "status_code")) == [(1, 204)]
    assert len(receiver.received) == 2
