"""Idempotency-Key on POST /parties/: a retry returns the first answer and creates
nothing, also when the retries arrive at the same moment."""

import threading
from datetime import timedelta

import pytest
import time_machine
from django.db import connection
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.models import Role
from arrivals.models import Party, PartyEvent, PartyMember
from idempotency.models import IdempotencyKey
from idempotency.services import idempotency_keys_purge
from tests import factories
from tests.conftest import client_for

from .conftest import PARTIES, body

pytestmark = pytest.mark.django_db


def post(client, data, key=None):
    extra = {} if key is None else {"HTTP_IDEMPOTENCY_KEY": key}
    return client.post(PARTIES, data, format="json", **extra)


def rows():
    return Party.objects.count(), PartyMember.objects.count(), PartyEvent.objects.count()


def test_same_key_and_body_replays_the_first_answer(volunteer_client, city):
    data = body(city)
    first = post(volunteer_client, data, "key-1")
    assert first.status_code == 201
    assert "Idempotent-Replayed" not in first
    before = rows()

    again = post(volunteer_client, data, "key-1")

    assert again.status_code == 201
    assert again["Idempotent-Replayed"] == "true"
    assert again.json() == first.json()
    assert rows() == before == (1, 2, 1)
    assert IdempotencyKey.objects.count() == 1


def test_replay_of_a_coordinators_registration_keeps_its_personal_data(coordinator_client, city):
    first = post(coordinator_client, body(city), "key-1")
    again = post(coordinator_client, body(city), "key-1")
    assert again.json() == first.json()
    assert again.json()["contact_phone"] == "+7 701 123-45-67"


def test_the_same_body_in_another_key_order_is_the_same_request(volunteer_client, city):
    data = body(city)
    first = post(volunteer_client, data, "key-1")
    reordered = dict(reversed(list(data.items())))
    again = post(volunteer_client, reordered, "key-1")
    assert again.status_code == 201
    assert again.json()["id"] == first.json()["id"]
    assert Party.objects.count() == 1


def test_same_key_with_another_body_answers_422(volunteer_client, city):
    first = post(volunteer_client, body(city), "key-1")
    before = rows()

    other = post(volunteer_client, body(city, nights_needed=4), "key-1")

    assert other.status_code == 422
    assert other.json()["code"] == "idempotency_key_reused"
    assert other.json()["detail"]
    assert rows() == before
    assert str(Party.objects.get().id) == first.data["id"]


def test_keys_of_one_caller_are_invisible_to_another(volunteer_client, city):
    colleague = client_for(factories.member(Role.VOLUNTEER, cities=[city]))
    first = post(volunteer_client, body(city), "shared-key")
    second = post(colleague, body(city), "shared-key")

    assert second.status_code == 201
    assert "Idempotent-Replayed" not in second
    assert second.data["id"] != first.data["id"]
    assert Party.objects.count() == 2
    # Another body under the same key is no reuse either: the key is the colleague's own.
    assert post(colleague, body(city, pets=1), "other").status_code == 201


def test_an_api_key_and_its_creator_have_separate_keys(api_key_client, coordinator_client, city):
    first = post(api_key_client, body(city), "k")
    second = post(coordinator_client, body(city), "k")
    assert (first.status_code, second.status_code) == (201, 201)
    assert first.data["id"] != second.data["id"]
    assert post(api_key_client, body(city), "k")["Idempotent-Replayed"] == "true"
    assert Party.objects.count() == 2


def test_keys_expire_after_24_hours(volunteer_client, city):
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        first = post(volunteer_client, body(city), "key-1")
    with time_machine.travel(start + timedelta(hours=23, minutes=59), tick=False):
        again = post(volunteer_client, body(city), "key-1")
        assert again["Idempotent-Replayed"] == "true"
        assert again.data["id"] == first.data["id"]
    with time_machine.travel(start + timedelta(hours=24, seconds=1), tick=False):
        later = post(volunteer_client, body(city, pets=2), "key-1")  # even another body
    assert later.status_code == 201
    assert "Idempotent-Replayed" not in later
    assert later.data["id"] != first.data["id"]
    assert Party.objects.count() == 2
    assert IdempotencyKey.objects.count() == 1


def test_expired_keys_are_purged(volunteer_client, city):
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        post(volunteer_client, body(city), "old")
    with time_machine.travel(start + timedelta(hours=20), tick=False):
        post(volunteer_client, body(city), "young")
    with time_machine.travel(start + timedelta(hours=25), tick=False):
        assert idempotency_keys_purge() == 1
    assert list(IdempotencyKey.objects.values_list("key", flat=True)) == ["young"]


@pytest.mark.parametrize(
    "key",
    ["", "x" * 256, "ключ", "naïve", "tab\there", "new\nline"],
    ids=["empty", "too-long", "cyrillic", "latin-1", "tab", "newline"],
)
def test_invalid_keys_answer_400_and_change_nothing(volunteer_client, city, key):
    before = rows()
    response = post(volunteer_client, body(city), key)
    assert response.status_code == 400
    assert "Idempotency-Key" in response.json()
    assert rows() == before
    assert not IdempotencyKey.objects.exists()


def test_the_longest_key_is_fine(volunteer_client, city):
    assert post(volunteer_client, body(city), "k" * 255).status_code == 201
    assert post(volunteer_client, body(city), "k" * 255)["Idempotent-Replayed"] == "true"


def test_an_invalid_body_stores_nothing_and_leaves_the_key_free(volunteer_client, city):
    bad = post(volunteer_client, body(city, members=[]), "key-1")
    assert bad.status_code == 400
    assert not IdempotencyKey.objects.exists()
    good = post(volunteer_client, body(city), "key-1")
    assert good.status_code == 201
    assert "Idempotent-Replayed" not in good
    assert Party.objects.count() == 1


def test_the_stored_answer_is_encrypted(coordinator_client, city):
    post(coordinator_client, body(city), "key-1")
    stored = IdempotencyKey.objects.values_list("fingerprint", flat=True).get()
    assert len(stored) == 64
    with connection.cursor() as cursor:
        cursor.execute("SELECT response_body FROM idempotency_idempotencykey")
        raw = cursor.fetchone()[0]
    assert "Nurlanova" not in raw and "7011234567" not in raw and "code" not in raw


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_eight_retries_at_the_same_moment_create_one_party(city, volunteer):
    data = body(city)
    barrier = threading.Barrier(8)
    answers, errors = [], []

    def send():
        client = APIClient()
        client.force_authenticate(volunteer)
        try:
            barrier.wait(timeout=30)
            response = post(client, data, "same-moment")
            replayed = response.headers.get("Idempotent-Replayed") == "true"
            answers.append((response.status_code, response.json(), replayed))
        except Exception as error:  # noqa: BLE001 - reported below, not swallowed
            errors.append(repr(error))
        finally:
            connection.close()

    threads = [threading.Thread(target=send) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)

    assert errors == []
    assert len(answers) == 8
    assert [status for status, _, _ in answers] == [201] * 8
    assert len({answer["id"] for _, answer, _ in answers}) == 1
    assert sorted(replayed for _, _, replayed in answers) == [False] + [True] * 7
    assert Party.objects.count() == 1
    assert PartyMember.objects.count() == 2
    assert IdempotencyKey.objects.count() == 1
    assert str(Party.objects.get().id) == answers[0][1]["id"]
