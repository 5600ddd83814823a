"""Writers racing on one space, on a real PostgreSQL: row locks, versions, counters.

Each thread has its own connection (and its own APIClient) and closes it when done.
"""

import threading

import pytest
from django.contrib.auth import get_user_model
from django.db import connection, transaction
from rest_framework.test import APIClient

from accounts.models import Role
from config.exceptions import Conflict
from shelters.models import Space
from shelters.services import space_counters_change, spaces_lock
from tests import factories

from .helpers import set_counters

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

THREADS = 8
ROUNDS = 4


def run_in_threads(count: int, work) -> list:
    """Run `work(index)` in `count` threads released together; their results, in order.

    An exception is returned as the thread's result, for the test to look at.
    """
    barrier = threading.Barrier(count)
    results: list = [None] * count

    def target(index: int) -> None:
        try:
            barrier.wait(timeout=30)
            results[index] = work(index)
        except Exception as error:  # noqa: BLE001 - handed to the test, which fails on it
            results[index] = error
        finally:
            connection.close()

    threads = [threading.Thread(target=target, args=(index,)) for index in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not any(thread.is_alive() for thread in threads), "a thread hung"
    errors = [result for result in results if isinstance(result, Exception)]
    assert not errors, errors
    return results


@pytest.fixture
def space():
    shelter = factories.ShelterFactory(city=factories.CityFactory())
    return factories.SpaceFactory(shelter=shelter, beds=1000)


@pytest.fixture
def manager(space):
    user = factories.member(Role.SHELTER_MANAGER, shelters=[space.shelter])
    return get_user_model().objects.get(pk=user.pk)


def test_one_if_match_version_lets_exactly_one_patch_win(space, manager):
    set_counters(space, held=3, occupied=5)  # counters: the version stays 1
    writes = 0
    url = f"/api/v1/spaces/{space.id}/"

    for round_number in range(ROUNDS):
        version = Space.objects.get(pk=space.pk).version

        def patch(index, version=version, round_number=round_number):
            client = APIClient()
            client.force_authenticate(manager)
            beds = 900 - round_number * THREADS - index  # each thread its own value
            response = client.patch(
                url, {"beds": beds}, format="json", HTTP_IF_MATCH=f'"{version}"'
            )
            return response.status_code, beds, response

        results = run_in_threads(THREADS, patch)

        statuses = sorted(status for status, _beds, _response in results)
        assert statuses == [200] + [412] * (THREADS - 1), statuses
        (_status, winner_beds, winner), *_ = [r for r in results if r[0] == 200]
        writes += 1
        space.refresh_from_db()
        assert space.beds == winner_beds
        assert space.version == writes + 1
        assert winner["ETag"] == f'"{space.version}"'
        assert winner.json()["beds"] == winner_beds
        for status, _beds, response in results:
            if status == 412:
                assert response.json()["code"] == "precondition_failed"

    space.refresh_from_db()
    assert (space.beds_occupied, space.beds_held) == (5, 3)
    assert space.version == writes + 1 == ROUNDS + 1


def test_concurrent_holds_never_overbook_a_space(space):
    Space.objects.filter(pk=space.pk).update(beds=30)
    attempts = 5

    def hold(_index):
        outcomes = []
        for _ in range(attempts):
            try:
                with transaction.atomic():
                    locked = spaces_lock(space_ids=[space.id])[space.id]
                    space_counters_change(space=locked, held=1)
                outcomes.append("held")
            except Conflict as refusal:
                outcomes.append(refusal.code)
        return outcomes

    outcomes = [outcome for result in run_in_threads(THREADS, hold) for outcome in result]

    assert outcomes.count("held") == 30
    assert outcomes.count("no_capacity") == THREADS * attempts - 30
    space.refresh_from_db()
    assert (space.beds, space.beds_held, space.beds_occupied, space.beds_free) == (30, 30, 0, 0)
    assert space.version == 1  # holds move counters; they are not edits of the space


def test_concurrent_counter_moves_on_two_spaces_lose_nothing(space):
    other = factories.SpaceFactory(shelter=space.shelter, beds=1000)
    moves = 10

    def move(index):
        ids = [space.id, other.id] if index % 2 else [other.id, space.id]
        for _ in range(moves):
            with transaction.atomic():
                locked = spaces_lock(space_ids=ids)
                space_counters_change(space=locked[ids[0]], held=1)
                space_counters_change(space=locked[ids[1]], occupied=1)
        return moves

    run_in_threads(THREADS, move)

    half = THREADS // 2 * moves
    for row in (space, other):
        row.refresh_from_db()
        assert (row.beds_held, row.beds_occupied) == (half, half)
        assert row.version == 1


def test_lowering_beds_while_beds_are_held_never_breaks_the_counters(space, manager):
    Space.objects.filter(pk=space.pk).update(beds=30)
    url = f"/api/v1/spaces/{space.id}/"

    def work(index):
        if index % 2:
            held = 0
            for _ in range(5):
                try:
                    with transaction.atomic():
                        locked = spaces_lock(space_ids=[space.id])[space.id]
                        space_counters_change(space=locked, held=1)
                    held += 1
                except Conflict:
                    pass
            return ("held", held)
        client = APIClient()
        client.force_authenticate(manager)
        return ("patch", client.patch(url, {"beds": 12 + index}, format="json").status_code)

    results = run_in_threads(THREADS, work)

    statuses = [value for kind, value in results if kind == "patch"]
    assert set(statuses) <= {200, 409}, statuses
    space.refresh_from_db()
    assert space.beds_held == sum(value for kind, value in results if kind == "held")
    assert space.beds >= space.beds_held + space.beds_occupied
    assert space.version == 1 + statuses.count(200)  # one per accepted edit
