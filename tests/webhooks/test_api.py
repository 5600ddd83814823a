"""The webhooks API: coordinators of a city subscribe, read the delivery log, redeliver
and delete; the secret is shown once and kept encrypted; URLs are http(s), and private
addresses are refused unless the installation allows them."""

import base64

import pytest
from django.db import connection
from django.test import override_settings

from accounts.models import Scope
from tests.conftest import client_for, key_client
from webhooks.models import Delivery, Message, Subscription

from .conftest import ALL_EVENTS, subscribe

pytestmark = pytest.mark.django_db
URL = "/api/v1/webhooks/"
HOOK = "https://hooks.example.org/berth"


def test_a_coordinator_subscribes_and_sees_the_secret_once(coordinator_client, city):
    answer = coordinator_client.post(
        URL,
        {"city": str(city.id), "url": HOOK, "events": ["party.placed", "capacity.changed"]},
        format="json",
    )
    assert answer.status_code == 201
    body = answer.json()
    secret = body["secret"]
    assert secret.startswith("whsec_")
    assert len(base64.b64decode(secret.removeprefix("whsec_"))) == 32
    assert body["events"] == ["capacity.changed", "party.placed"]
    assert body["active"] is True and body["disabled_at"] is None
    assert body["created_by"] == Subscription.objects.get().created_by.username

    again = coordinator_client.get(f"{URL}{body['id']}/")
    assert again.status_code == 200
    assert "secret" not in again.json()
    listed = coordinator_client.get(URL).json()
    assert listed["count"] == 1 and "secret" not in listed["results"][0]


def test_the_secret_is_encrypted_at_rest(coordinator_client, city):
    secret = subscribe(coordinator_client, city, HOOK)["secret"]
    with connection.cursor() as cursor:
        cursor.execute("SELECT secret FROM webhooks_subscription")
        (stored,) = cursor.fetchone()
    assert secret not in stored and secret.removeprefix("whsec_") not in stored
    assert Subscription.objects.get().secret == secret


def test_every_event_of_the_contract_may_be_subscribed(coordinator_client, city):
    assert subscribe(coordinator_client, city, HOOK, ALL_EVENTS)["events"] == sorted(ALL_EVENTS)


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"events": []}, "events"),
        ({"events": ["party.teleported"]}, "events"),
        ({"url": "ftp://hooks.example.org/"}, "url"),
        ({"url": "not a url"}, "url"),
        ({"url": "file:///etc/passwd"}, "url"),
    ],
)
def test_wrong_subscriptions_answer_400(coordinator_client, city, change, field):
    body = {"city": str(city.id), "url": HOOK, "events": ["party.placed"], **change}
    answer = coordinator_client.post(URL, body, format="json")
    assert answer.status_code == 400
    assert field in answer.json()
    assert not Subscription.objects.exists()


@override_settings(WEBHOOKS_ALLOW_PRIVATE_URLS=False)
@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:8000/hook",
        "http://localhost/hook",
        "http://10.1.2.3/hook",
        "http://192.168.0.10/hook",
        "http://169.254.169.254/latest/meta-data/",
        "http://[::1]/hook",
        "http://[::ffff:127.0.0.1]/hook",
        "http://0.0.0.0/hook",
    ],
)
def test_private_addresses_are_refused_in_production(coordinator_client, city, url):
    answer = coordinator_client.post(
        URL, {"city": str(city.id), "url": url, "events": ["party.placed"]}, format="json"
    )
    assert answer.status_code == 400
    assert "url" in answer.json()


@pytest.mark.parametrize(
    "url", ["http://user:pw@127.0.0.1:8131/a", "https://token@93.184.215.14/hook"]
)
def test_a_url_with_a_username_or_password_is_refused(coordinator_client, city, url):
    answer = coordinator_client.post(
        URL, {"city": str(city.id), "url": url, "events": ["party.placed"]}, format="json"
    )
    assert answer.status_code == 400
    assert "username or password" in str(answer.json()["url"])
    assert not Subscription.objects.exists()


@override_settings(WEBHOOKS_ALLOW_PRIVATE_URLS=False)
def test_a_public_address_is_taken_in_production(coordinator_client, city):
    assert subscribe(coordinator_client, city, "https://93.184.215.14/hook")["active"] is True


def test_volunteers_managers_and_keys_may_not(volunteer_client, manager_client, city, coordinator):
    webhook = subscribe(client_for(coordinator), city, HOOK)
    key = key_client(city, coordinator, [Scope.CAPACITY_READ, Scope.PARTIES_READ])
    body = {"city": str(city.id), "url": HOOK, "events": ["party.placed"]}
    for client in (volunteer_client, manager_client, key):
        assert client.get(URL).status_code == 403
        assert client.post(URL, body, format="json").status_code == 403
        assert client.get(f"{URL}{webhook['id']}/").status_code == 403
        assert client.get(f"{URL}{webhook['id']}/deliveries/").status_code == 403
        assert client.delete(f"{URL}{webhook['id']}/").status_code == 403
    assert Subscription.objects.count() == 1


def test_another_citys_coordinator_finds_nothing(
    other_coordinator_client, coordinator_client, city
):
    webhook = subscribe(coordinator_client, city, HOOK)
    path = f"{URL}{webhook['id']}/"
    assert other_coordinator_client.get(URL).json()["count"] == 0
    assert other_coordinator_client.get(path).status_code == 404
    assert other_coordinator_client.get(f"{path}deliveries/").status_code == 404
    assert other_coordinator_client.post(f"{path}enable/").status_code == 404
    assert other_coordinator_client.delete(path).status_code == 404
    # Nor may they subscribe to a city that is not theirs.
    answer = other_coordinator_client.post(
        URL, {"city": str(city.id), "url": HOOK, "events": ["party.placed"]}, format="json"
    )
    assert answer.status_code == 400 and "city" in answer.json()
    assert Subscription.objects.count() == 1


def test_delete_ends_the_subscription_and_its_log(coordinator_client, city):
    webhook = subscribe(coordinator_client, city, HOOK)
    message = Message.objects.create(city=city, type="party.registered", body="{}")
    Delivery.objects.create(
        subscription_id=webhook["id"], message=message, next_attempt_at=message.created_at
    )
    assert coordinator_client.delete(f"{URL}{webhook['id']}/").status_code == 204
    assert not Subscription.objects.exists() and not Delivery.objects.exists()
    assert coordinator_client.get(f"{URL}{webhook['id']}/").status_code == 404


def test_the_delivery_log_is_paginated_and_filtered(coordinator_client, city):
    webhook = subscribe(coordinator_client, city, HOOK)
    for status in ("pending", "delivered", "failed"):
        message = Message.objects.create(city=city, type="party.registered", body="{}")
        Delivery.objects.create(
            subscription_id=webhook["id"],
            message=message,
            status=status,
            next_attempt_at=message.created_at if status == "pending" else None,
        )
    answer = coordinator_client.get(f"{URL}{webhook['id']}/deliveries/")
    assert answer.status_code == 200
    body = answer.json()
    assert body["count"] == 3
    assert set(body["results"][0]) >= {
        "id",
        "webhook_id",
        "type",
        "status",
        "attempts",
        "next_attempt_at",
        "delivered_at",
        "last_status_code",
        "log",
    }
    assert all(row["webhook_id"].startswith("msg_") for row in body["results"])
    failed = coordinator_client.get(f"{URL}{webhook['id']}/deliveries/?status=failed").json()
    assert [row["status"] for row in failed["results"]] == ["failed"]
    wrong = coordinator_client.get(f"{URL}{webhook['id']}/deliveries/?status=lost")
    assert wrong.status_code == 400


def test_redeliver_an_unknown_delivery_answers_404(coordinator_client, city, other_city):
    webhook = subscribe(coordinator_client, city, HOOK)
    other = Subscription.objects.create(city=other_city, url=HOOK, events=[], secret="whsec_")
    message = Message.objects.create(city=other_city, type="party.registered", body="{}")
    foreign = Delivery.objects.create(
        subscription=other, message=message, next_attempt_at=message.created_at
    )
    base = f"{URL}{webhook['id']}/deliveries/"
    assert coordinator_client.post(f"{base}{foreign.id}/redeliver/").status_code == 404
    assert coordinator_client.post(f"{base}not-a-uuid/redeliver/").status_code == 404


def test_a_superuser_may_do_everything(superuser_client, city):
    webhook = subscribe(superuser_client, city, HOOK)
    assert superuser_client.get(f"{URL}{webhook['id']}/deliveries/").status_code == 200
