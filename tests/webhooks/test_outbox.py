"""The outbox itself: what an event costs where nobody subscribed, one taker per
delivery, a task lost on the way sent by the timer, the log purged."""

from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from webhooks import services
from webhooks.models import Attempt, Delivery, DeliveryStatus, Message, Subscription

from .conftest import ALL_EVENTS


def subscription(city, url="https://hooks.example.org/berth", events=ALL_EVENTS):
    return Subscription.objects.create(city=city, url=url, events=list(events), secret="whsec_AAAA")


@pytest.mark.django_db
def test_an_event_nobody_subscribed_to_costs_one_query(city, django_assert_num_queries):
    with django_assert_num_queries(1):
        written = services.event_emit(city_id=city.id, type="party.registered", data={})
    assert written == 0 and not Message.objects.exists()


@pytest.mark.django_db
def test_events_go_to_the_subscriptions_that_chose_them(city, other_city):
    wants_all = subscription(city)
    subscription(city, events=["capacity.changed"])
    subscription(other_city)
    Subscription.objects.create(
        city=city, url="https://x.example.org/", events=ALL_EVENTS, secret="s", active=False
    )
    written = services.events_emit(
        events=[
            services.Event(city.id, "party.registered", {"party": "p"}),
            services.Event(city.id, "capacity.changed", {"space": "s"}),
        ]
    )
    assert written == 3
    assert Message.objects.count() == 2
    assert set(Delivery.objects.values_list("subscription_id", flat=True)) >= {wants_all.id}
    assert all(d.status == DeliveryStatus.PENDING for d in Delivery.objects.all())


@pytest.mark.django_db
def test_an_unknown_event_is_a_programming_error(city):
    with pytest.raises(ValueError):
        services.event_emit(city_id=city.id, type="party.teleported", data={})


@pytest.mark.django_db
def test_one_taker_per_delivery(city):
    subscription(city)
    services.event_emit(city_id=city.id, type="party.registered", data={})
    delivery = Delivery.objects.get()
    now = timezone.now()
    assert services._claim(delivery.id, now) is not None
    assert services._claim(delivery.id, now) is None  # held by the first
    later = now + timedelta(seconds=services._lease_seconds() + 1)
    assert services._claim(delivery.id, later) is not None  # its lease ran out


@pytest.mark.django_db(transaction=True)
def test_a_task_lost_with_the_broker_is_sent_by_the_timer(receiver, city, monkeypatch):
    subscription(city, url=receiver.url)
    lost = []
    with monkeypatch.context() as patched:
        patched.setattr(services, "deliveries_enqueue", lambda **kwargs: lost.append(kwargs))
        services.event_emit(city_id=city.id, type="party.registered", data={"size": 1})
    assert lost and receiver.received == []
    # Queued a moment ago: the timer leaves it to the queue for a lease's time...
    assert services.deliveries_due_send() == 0
    # ... then takes it that the task was lost, and sends it.
    later = timezone.now() + timedelta(seconds=services._lease_seconds() + 1)
    with time_machine.travel(later, tick=False):
        assert services.deliveries_due_send() == 1
    receiver.wait(1)
    assert Delivery.objects.get().status == DeliveryStatus.DELIVERED


@pytest.mark.django_db
def test_the_log_is_purged_after_its_retention(city, settings):
    settings.WEBHOOK_LOG_RETENTION_DAYS = 30
    hook = subscription(city)
    old = timezone.now() - timedelta(days=31)
    for status in (DeliveryStatus.DELIVERED, DeliveryStatus.FAILED, DeliveryStatus.PENDING):
        message = Message.objects.create(city=city, type="party.placed", body="{}", created_at=old)
        delivery = Delivery.objects.create(
            subscription=hook,
            message=message,
            status=status,
            created_at=old,
            next_attempt_at=old if status == DeliveryStatus.PENDING else None,
        )
        Attempt.objects.create(delivery=delivery, number=1, at=old, duration_ms=3)
    recent = Message.objects.create(city=city, type="party.placed", body="{}")
    Delivery.objects.create(subscription=hook, message=recent, status=DeliveryStatus.DELIVERED)
    assert services.webhook_log_purge() == 2
    assert sorted(Delivery.objects.values_list("status", flat=True)) == ["delivered", "pending"]
    assert Message.objects.count() == 2  # the pending one's and the recent one
    assert Attempt.objects.count() == 1
