"""Matching runs, manual placements, check-ins and check-outs at once over the last beds."""

import random
import threading

import pytest
from django.db import connection
from rest_framework.test import APIClient

from accounts.models import Role
from arrivals import services
from arrivals.models import Party, PartyStatus
from shelters.models import Space
from tests import factories
from tests.arrivals.workflow.helpers import assert_consistent

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

ROUNDS = 25


def overfull_spaces() -> list:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT s.id FROM shelters_space s LEFT JOIN arrivals_placement p "
            "ON p.space_id = s.id AND p.status IN ('held', 'checked_in') "
            "GROUP BY s.id, s.beds HAVING coalesce(sum(p.beds), 0) > s.beds"
        )
        return [row[0] for row in cursor.fetchall()]


def test_concurrent_writers_never_overfill_a_space():
    city = factories.CityFactory()
    shelter = factories.ShelterFactory(city=city)
    spaces = [factories.SpaceFactory(shelter=shelter, beds=beds) for beds in (3, 2, 2)]
    parties = [
        factories.PartyFactory(city=city, members=[{"given_name": "A"}] * size)
        for size in [1] * 12 + [2] * 6
    ]
    coordinator = factories.member(Role.COORDINATOR, cities=[city])
    party_ids = [party.id for party in parties]
    space_ids = [space.id for space in spaces]
    answers: list[int] = []
    errors: list[BaseException] = []
    overfull: list = []
    barrier = threading.Barrier(5)
    done = threading.Event()

    def worker(body) -> None:
        try:
            barrier.wait(timeout=30)
            body()
        except BaseException as error:  # noqa: BLE001 - reported by the test below
            errors.append(error)
        finally:
            connection.close()

    def matcher() -> None:
        for _ in range(ROUNDS):
            services.matching_request(city_id=city.id, trigger="race")

    def placer() -> None:
        api = APIClient()
        api.force_authenticate(coordinator)
        rng = random.Random(1)
        for _ in range(ROUNDS * 2):
            answer = api.post(
                "/api/v1/placements/",
                {"party": str(rng.choice(party_ids)), "space": str(rng.choice(space_ids))},
                format="json",
            )
            answers.append(answer.status_code)

    def door() -> None:
        api = APIClient()
        api.force_authenticate(coordinator)
        rng = random.Random(2)
        for _ in range(ROUNDS * 3):
            party_id = rng.choice(party_ids)
            action = rng.choice(["check-in", "check-out", "cancel"])
            answers.append(api.post(f"/api/v1/parties/{party_id}/{action}/").status_code)

    def monitor() -> None:
        while not done.is_set():
            overfull.extend(overfull_spaces())

    threads = [
        threading.Thread(target=worker, args=(body,))
        for body in (matcher, placer, door, matcher, monitor)
    ]
    for thread in threads[:4]:
        thread.start()
    threads[4].start()
    for thread in threads[:4]:
        thread.join(timeout=300)
    done.set()
    threads[4].join(timeout=30)

    assert not errors, errors
    assert not overfull
    assert set(answers) <= {200, 201, 409}, sorted(set(answers))
    assert 500 not in answers
    assert {200, 201} & set(answers), "no write ever succeeded: the race tested nothing"
    assert_consistent()
    assert services.space_counters_repair() == []
    for space in Space.objects.all():
        assert space.beds_held + space.beds_occupied <= space.beds
    assert (
        Party.objects.exclude(
            status__in=[
                PartyStatus.WAITING,
                PartyStatus.PLACED,
                PartyStatus.CHECKED_IN,
                PartyStatus.DEPARTED,
                PartyStatus.CANCELLED,
            ]
        ).count()
        == 0
    )
