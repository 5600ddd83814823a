"""A worker killed with SIGKILL in the middle of a run loses and doubles nothing."""

import threading
import uuid

import pytest
from django.db import connection, connections, transaction
from rest_framework.test import APIClient

from accounts.models import Role
from arrivals.models import MatchingRun, Party, PartyStatus, Placement, RunStatus
from shelters.models import Space
from tests import factories
from tests.arrivals.workflow.helpers import assert_consistent, wait_for

pytestmark = [pytest.mark.postgres, pytest.mark.redis]


def hold_row_lock(space_id, locked: threading.Event, release: threading.Event) -> None:
    """Keep one space's row locked, as a long transaction elsewhere would."""
    try:
        with transaction.atomic():
            Space.objects.select_for_update().get(id=space_id)
            locked.set()
            release.wait(timeout=120)
    finally:
        connection.close()


def backend_waiting_on_a_lock() -> bool:
    with connections["default"].cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity "
            "WHERE datname = current_database() AND wait_event_type = 'Lock'"
        )
        return cursor.fetchone()[0] > 0


def test_run_killed_mid_apply_is_rolled_back_and_redone(live_worker):
    city = factories.CityFactory()
    shelter = factories.ShelterFactory(city=city)
    spaces = [factories.SpaceFactory(shelter=shelter, beds=3) for _ in range(4)]
    parties = [factories.PartyFactory(city=city) for _ in range(15)]  # 15 people, 12 beds
    coordinator = APIClient()
    coordinator.force_authenticate(factories.member(Role.COORDINATOR, cities=[city]))

    locked, release = threading.Event(), threading.Event()
    blocker = threading.Thread(
        target=hold_row_lock, args=(min(s.id for s in spaces), locked, release)
    )
    blocker.start()
    try:
        assert locked.wait(timeout=30)
        answer = coordinator.post("/api/v1/matching/runs/", {"city": str(city.id)}, format="json")
        assert answer.status_code == 202
        killed_run = answer.json()["id"]
        # The run has taken its snapshot and solved; it now waits for the space lock,
        # inside its transaction: the middle of applying its placements.
        wait_for(
            lambda: MatchingRun.objects.get(id=killed_run).status == RunStatus.RUNNING
            and backend_waiting_on_a_lock(),
            what="the run to block in the middle of applying",
        )
        live_worker.kill()
    finally:
        release.set()
        blocker.join(timeout=30)

    # Nothing of the killed run is written: its transaction died with its connection.
    wait_for(lambda: not backend_waiting_on_a_lock(), what="the dead worker's transaction to end")
    assert Placement.objects.count() == 0
    assert set(Party.objects.values_list("status", flat=True)) == {PartyStatus.WAITING}
    assert_consistent()

    live_worker.start()
    answer = coordinator.post("/api/v1/matching/runs/", {"city": str(city.id)}, format="json")
    assert answer.status_code == 202
    new_run = answer.json()["id"]
    assert new_run != killed_run
    wait_for(
        lambda: MatchingRun.objects.get(id=new_run).status == RunStatus.DONE,
        timeout=120,
        what="a new worker's run to finish",
    )
    # The new run did the killed run's work: the killed run ends done by it.
    killed = MatchingRun.objects.get(id=killed_run)
    assert (killed.status, killed.superseded_by_id) == (RunStatus.DONE, uuid.UUID(new_run))
    placed = Party.objects.filter(status=PartyStatus.PLACED).count()
    assert placed == 12  # every bed given once, none twice
    assert Placement.objects.count() == 12
    assert Party.objects.filter(status=PartyStatus.WAITING).count() == len(parties) - 12
    assert_consistent()
