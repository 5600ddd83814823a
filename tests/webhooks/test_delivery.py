"""Deliveries against a real HTTP receiver on a loopback port: at least once, under one
`webhook-id`, retried with backoff, never for a change that was rolled back, signed,
without personal data; a subscription failing for a day is disabled and its maker told.

These tests commit (transactional_db): the outbox is handed to the workers after
commit, and the tasks run in-process here.
"""

import json
import socket
import threading
import time
from datetime import timedelta
from itertools import pairwise

import pytest
import time_machine
from django.db import connection, transaction
from django.test import override_settings
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from standardwebhooks import Webhook

from accounts.access import access_for_user, system_access
from arrivals import services as arrivals
from shelters import services as shelters
from tests import factories
from tests.conftest import client_for
from webhooks import services
from webhooks.models import Attempt, Delivery, DeliveryStatus, Message, Subscription

from .conftest import ALL_EVENTS, subscribe

pytestmark = pytest.mark.django_db(transaction=True)

MEMBERS = [
    {"given_name": "Marfa", "family_name": "Kuznetsova", "sex": "female"},
    {"given_name": "Timur", "family_name": "Kuznetsov", "sex": "male", "age_group": "child"},
]
PHONE = "+7 701 555 12 34"
NOTES = "Grandmother Zinaida follows by bus"


def register(city, coordinator, **extra):
    return arrivals.party_register(
        city=city,
        members=extra.pop("members", MEMBERS),
        actor_id=coordinator.id,
        actor=coordinator.username,
        consent=True,
        **extra,
    )


def sweep_at(moment) -> int:
    """The timer, run at `moment`."""
    with time_machine.travel(moment, tick=False):
        return services.deliveries_due_send()


def test_fails_twice_then_accepts_exactly_one_accepted_delivery(receiver, city, coordinator):
    receiver.answers = [500, 503]  # then 204
    secret = subscribe(client_for(coordinator), city, receiver.url)["secret"]

    party = register(city, coordinator)

    delivery = Delivery.objects.get()
    assert receiver.wait(1)[0]["status"] == 500
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.PENDING
    first = Attempt.objects.get(delivery=delivery).at
    assert delivery.next_attempt_at == first + timedelta(seconds=30)
    assert sweep_at(first + timedelta(seconds=10)) == 0  # not due yet: nothing sent
    assert len(receiver.received) == 1

    sweep_at(delivery.next_attempt_at + timedelta(seconds=1))
    assert receiver.wait(2)[1]["status"] == 503
    delivery.refresh_from_db()
    second = delivery.log.order_by("number").last().at
    assert delivery.next_attempt_at == second + timedelta(minutes=2)  # backoff grows

    sweep_at(delivery.next_attempt_at + timedelta(seconds=1))
    received = receiver.wait(3)
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.DELIVERED and delivery.delivered_at
    assert len(receiver.accepted()) == 1
    assert [item["status"] for item in received] == [500, 503, 204]
    ids = {item["headers"]["webhook-id"] for item in received}
    assert ids == {Message.objects.get().webhook_id}  # the same id on every try
    bodies = {item["body"] for item in received}
    assert len(bodies) == 1  # the same body, signed anew with each try's timestamp
    log = list(delivery.log.order_by("number").values_list("number", "status_code", "error"))
    assert log == [(1, 500, "HTTP 500"), (2, 503, "HTTP 503"), (3, 204, "")]
    assert all(a.duration_ms >= 0 for a in delivery.log.all())

    # Nothing is sent again: the delivery is done.
    assert sweep_at(timezone.now() + timedelta(days=2)) == 0
    assert len(receiver.received) == 3
    payload = Webhook(secret).verify(received[0]["body"], received[0]["headers"])
    assert payload["type"] == "party.registered"
    assert payload["data"]["party"] == str(party.id)
    assert payload["data"]["code"] == party.code
    assert payload["data"]["size"] == 2
    # The log as the API shows it.
    answer = client_for(coordinator).get(f"/api/v1/webhooks/{delivery.subscription_id}/deliveries/")
    row = answer.json()["results"][0]
    assert row["status"] == "delivered" and row["attempts"] == 3
    assert [entry["status_code"] for entry in row["log"]] == [500, 503, 204]
    assert row["webhook_id"] == received[0]["headers"]["webhook-id"]


def test_a_rolled_back_registration_sends_nothing(receiver, city, coordinator):
    subscribe(client_for(coordinator), city, receiver.url, ALL_EVENTS)

    with pytest.raises(RuntimeError), transaction.atomic():
        register(city, coordinator)
        assert Delivery.objects.count() == 1  # written with the party, in its transaction
        raise RuntimeError("the request failed after registering")

    assert not Message.objects.exists() and not Delivery.objects.exists()
    assert services.deliveries_due_send() == 0
    register(city, coordinator)  # a registration that commits is sent, once
    assert len(receiver.wait(1)) == 1
    assert receiver.bodies()[0]["type"] == "party.registered"


def test_each_event_of_a_partys_life_is_sent_signed_without_personal_data(
    receiver, city, coordinator
):
    secret = subscribe(client_for(coordinator), city, receiver.url, ALL_EVENTS)["secret"]
    access = access_for_user(coordinator)
    shelter = factories.ShelterFactory(city=city, name="School 12")
    space = factories.SpaceFactory(shelter=shelter, beds=10)

    other_space = factories.SpaceFactory(shelter=shelter, beds=10)

    # Each registration is matched at once (in-process): the matcher places it.
    placed = register(city, coordinator, contact_phone=PHONE, notes=NOTES)
    arrivals.party_check_in(party_id=placed.id, access=access)
    arrivals.party_check_out(party_id=placed.id, access=access)
    cancelled = register(city, coordinator, contact_phone=PHONE, notes=NOTES)
    arrivals.party_cancel(party_id=cancelled.id, access=access, reason="Found relatives: Ivanov")
    held = register(city, coordinator)
    # Moved by hand, then its hold runs out.
    moved_to = other_space if held.placements.get().space_id == space.id else space
    arrivals.placement_create(party_id=held.id, space_id=moved_to.id, actor=coordinator.username)
    with time_machine.travel(timezone.now() + timedelta(days=1), tick=False):
        arrivals.placements_expire()
    shelters.shelter_update(shelter_id=shelter.id, data={"status": "closed"})
    shelters.space_update(space_id=space.id, data={"beds": 12})

    bodies = [json.loads(m.body) for m in Message.objects.order_by("created_at", "id")]
    types = [body["type"] for body in bodies]
    for event in ALL_EVENTS:
        assert event in types, event
    received = receiver.wait(len(bodies))
    assert len(received) == Delivery.objects.count() == len(bodies)
    webhook = Webhook(secret)
    personal = ["Marfa", "Kuznetsov", "Timur", "555 12", "5551234", NOTES, "Zinaida", "Ivanov"]
    for item in received:
        # Verified as the receiver did, at the time of the try (some were a day later).
        with time_machine.travel(int(item["headers"]["webhook-timestamp"]), tick=False):
            payload = webhook.verify(item["body"], item["headers"])
        text = item["body"].decode()
        for value in personal:
            assert value not in text, (value, payload)
        assert set(payload) == {"type", "timestamp", "data"}
    by_type = {}
    for body in bodies:
        by_type.setdefault(body["type"], []).append(body["data"])
    checked_in = by_type["party.checked_in"][0]
    assert checked_in["status"] == "checked_in"
    assert checked_in["placement"]["shelter"] == str(shelter.id)
    assert checked_in["placement"]["space"] == str(placed.placements.get().space_id)
    expired = by_type["party.expired"][0]
    assert expired["party"] == str(held.id) and expired["status"] == "waiting"
    assert expired["placement"]["status"] == "expired"
    assert by_type["party.cancelled"][0]["placement"]["status"] == "cancelled"
    assert by_type["party.placed"][0]["placement"]["status"] == "held"
    assert len(by_type["party.placed"]) >= 4  # three by the matcher, one by hand
    assert by_type["shelter.updated"][0]["changed"] == ["status"]
    assert by_type["shelter.updated"][0]["status"] == "closed"
    assert "School 12" not in json.dumps(bodies)
    space.refresh_from_db()
    assert {
        "city": str(city.id),
        "shelter": str(shelter.id),
        "space": str(space.id),
        "beds": 12,
        "beds_held": space.beds_held,
        "beds_occupied": 0,
        "beds_free": 12 - space.beds_held,
    } in by_type["capacity.changed"]


def test_only_the_subscribed_events_of_the_subscribed_city(receiver, city, other_city):
    coordinator = factories.member("coordinator", cities=[city, other_city])
    subscribe(client_for(coordinator), city, receiver.url, ["party.cancelled"])
    register(city, coordinator)
    register(other_city, coordinator)
    party = register(other_city, coordinator)
    arrivals.party_cancel(party_id=party.id, access=system_access("test"))
    assert not Message.objects.exists()
    assert receiver.received == []


def test_a_day_of_failures_disables_the_webhook_and_tells_its_maker(
    receiver, city, coordinator, mailoutbox
):
    receiver.default = 500
    client = client_for(coordinator)
    webhook = subscribe(client, city, receiver.url, ["party.registered", "party.cancelled"])
    party = register(city, coordinator)
    receiver.wait(1)
    with time_machine.travel(timezone.now() + timedelta(hours=3), tick=False):
        # A second event, while the first is retried: disabling fails it too.
        arrivals.party_cancel(party_id=party.id, access=access_for_user(coordinator))
    first = Attempt.objects.order_by("at").first().at

    sweeps = 0
    while Delivery.objects.filter(status=DeliveryStatus.PENDING).exists():
        due = Delivery.objects.filter(status=DeliveryStatus.PENDING).order_by("next_attempt_at")
        sweep_at(due.first().next_attempt_at)
        sweeps += 1
        assert sweeps < 100

    subscription = Subscription.objects.get()
    assert subscription.active is False
    assert subscription.disabled_at - first >= timedelta(hours=24)
    assert subscription.disabled_at - first < timedelta(hours=27)
    assert "HTTP 500" in subscription.disabled_reason
    first_delivery = Delivery.objects.order_by("created_at").first()
    assert first_delivery.status == DeliveryStatus.FAILED
    attempts = list(first_delivery.log.order_by("number"))
    assert len(attempts) >= 12
    gaps = [later.at - earlier.at for earlier, later in pairwise(attempts)]
    assert gaps[:5] == [timedelta(seconds=s) for s in (30, 120, 600, 1800, 3600)]
    assert set(gaps[5:]) == {timedelta(hours=2)}
    assert all(d.status == DeliveryStatus.FAILED for d in Delivery.objects.all())

    assert len(mailoutbox) == 1
    assert mailoutbox[0].to == ["coordinator@example.org"]
    assert receiver.url in mailoutbox[0].body
    shown = client.get(f"/api/v1/webhooks/{webhook['id']}/").json()
    assert shown["active"] is False and shown["disabled_at"] and shown["disabled_reason"]

    # Disabled: new events are not written for it, and a redelivery by hand is refused.
    register(city, coordinator)
    assert Delivery.objects.count() == 2
    redeliver = f"/api/v1/webhooks/{webhook['id']}/deliveries/{first_delivery.id}/redeliver/"
    refused = client.post(redeliver)
    assert refused.status_code == 409 and refused.json()["code"] == "webhook_disabled"

    # Enabled again once the receiver works, what it missed is redelivered by hand.
    receiver.default = 200
    count = len(receiver.received)
    assert client.post(f"/api/v1/webhooks/{webhook['id']}/enable/").json()["active"] is True
    answer = client.post(redeliver)
    assert answer.status_code == 200
    assert answer.json()["status"] == "delivered"
    again = receiver.wait(count + 1)[-1]
    assert again["headers"]["webhook-id"] == first_delivery.message.webhook_id
    assert again["status"] == 200


def test_a_success_clears_failing_since(receiver, city, coordinator):
    receiver.answers = [500]
    subscribe(client_for(coordinator), city, receiver.url)
    register(city, coordinator)
    receiver.wait(1)
    assert Subscription.objects.get().failing_since is not None
    sweep_at(Delivery.objects.get().next_attempt_at)
    receiver.wait(2)
    assert Subscription.objects.get().failing_since is None


def test_redirects_are_not_followed_and_count_as_failures(receiver, city, coordinator):
    receiver.answers = [302]
    subscribe(client_for(coordinator), city, receiver.url)
    register(city, coordinator)
    receiver.wait(1)
    delivery = Delivery.objects.get()
    assert delivery.status == DeliveryStatus.PENDING and delivery.last_status_code == 302
    assert len(receiver.received) == 1


@override_settings(WEBHOOK_TIMEOUT_SECONDS=0.5)
def test_a_receiver_that_does_not_answer_in_time_is_retried(receiver, city, coordinator):
    receiver.delays = [2]
    subscribe(client_for(coordinator), city, receiver.url)
    register(city, coordinator)
    delivery = Delivery.objects.get()
    assert delivery.status == DeliveryStatus.PENDING
    assert delivery.log.get().error == "timeout" and delivery.last_status_code is None
    sweep_at(delivery.next_attempt_at)
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.DELIVERED


class DrippingReceiver:
    """An endpoint that starts its answer and then sends one header byte every 0.2 s for
    30 s: each read of the sender waits far less than its timeout."""

    def __init__(self) -> None:
        self.server = socket.create_server(("127.0.0.1", 0))
        self.thread = threading.Thread(target=self.serve, daemon=True)
        self.thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.getsockname()[1]}/hooks"

    def serve(self) -> None:
        conn, _ = self.server.accept()
        with conn:
            conn.recv(65536)
            try:
                conn.sendall(b"HTTP/1.1 200 OK\r\nX-Slow: ")
                for _ in range(150):
                    time.sleep(0.2)
                    conn.sendall(b"a")
            except OSError:
                pass  # the sender hung up


@override_settings(WEBHOOK_TIMEOUT_SECONDS=1)
def test_a_receiver_that_drips_its_answer_is_cut_off_at_the_timeout(city, coordinator):
    receiver = DrippingReceiver()
    subscribe(client_for(coordinator), city, receiver.url)
    register(city, coordinator)  # delivered in-process here: the request waited for it
    assert receiver.thread.is_alive()  # it was cut off, not waited out
    delivery = Delivery.objects.get()
    assert delivery.status == DeliveryStatus.PENDING
    assert delivery.log.get().error == "timeout" and delivery.last_status_code is None


def test_a_url_that_now_leads_to_a_private_address_is_not_called(receiver, city, coordinator):
    subscribe(client_for(coordinator), city, receiver.url)
    with override_settings(WEBHOOKS_ALLOW_PRIVATE_URLS=False):
        register(city, coordinator)
    assert receiver.received == []
    attempt = Attempt.objects.get()
    assert attempt.status_code is None and "private" in attempt.error


def test_the_matcher_emits_in_bulk(receiver, city, coordinator, monkeypatch):
    """A matching run that places many parties writes their events in a fixed number of
    queries, not one per party."""
    subscribe(client_for(coordinator), city, receiver.url, ["party.placed", "capacity.changed"])
    shelter = factories.ShelterFactory(city=city)
    for _ in range(4):
        factories.SpaceFactory(shelter=shelter, beds=10)
    parties = [factories.PartyFactory(city=city) for _ in range(30)]
    run = arrivals.MatchingRun.objects.create(city=city, trigger="api")
    handed = []  # what the run hands to the workers after its commit, sent below
    monkeypatch.setattr(services, "deliveries_enqueue", lambda **kwargs: handed.append(kwargs))
    with CaptureQueriesContext(connection) as queries:
        arrivals.matching_run_execute(run_id=run.id)
    webhook_queries = [q["sql"] for q in queries.captured_queries if "webhooks_" in q["sql"]]
    # Two emits (the spaces' counters, the placed parties): a read and two inserts each.
    assert len(webhook_queries) <= 6, [sql[:80] for sql in webhook_queries]
    placed = Message.objects.filter(type="party.placed").count()
    assert placed == len(parties)
    assert Message.objects.filter(type="capacity.changed").count() == 4
    monkeypatch.undo()
    for kwargs in handed:
        services.deliveries_enqueue(**kwargs)
    assert len(receiver.wait(placed + 4)) == placed + 4
    statuses = {body["data"]["status"] for body in receiver.bodies() if "party" in body["data"]}
    assert statuses == {"placed"}


def test_deleting_beds_tells_capacity_changed_with_none_left(receiver, city, coordinator):
    subscribe(client_for(coordinator), city, receiver.url, ["capacity.changed"])
    api = client_for(coordinator)
    shelter = factories.ShelterFactory(city=city)
    spare = factories.ShelterFactory(city=city)
    hall = factories.SpaceFactory(shelter=shelter, beds=7)
    factories.SpaceFactory(shelter=spare, beds=9)
    factories.SpaceFactory(shelter=spare, beds=0)  # no beds: nothing to tell
    assert api.delete(f"/api/v1/spaces/{hall.id}/").status_code == 204
    assert api.delete(f"/api/v1/shelters/{spare.id}/").status_code == 204
    told = [json.loads(m.body)["data"] for m in Message.objects.order_by("created_at", "id")]
    assert [(data["beds"], data["beds_free"], data.get("deleted")) for data in told] == [
        (0, 0, True),
        (0, 0, True),
    ]
    assert told[0]["space"] == str(hall.id) and told[1]["shelter"] == str(spare.id)
    assert len(receiver.wait(2)) == 2
