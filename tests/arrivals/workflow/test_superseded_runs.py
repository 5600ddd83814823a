"""A run that takes the city's lock while other runs of the city are claimed does their
work: they end `done`, `superseded_by` it (arrivals.services.matching_run_execute)."""

from datetime import timedelta

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.models import Role
from arrivals import services
from arrivals.models import MatchingRun, Party, PartyStatus, RunStatus
from tests import factories

MAN = {"given_name": "Ruslan", "sex": "male", "age_group": "adult"}


def claimed(city, trigger: str) -> MatchingRun:
    """A run as a worker leaves it when it waits for the city's lock (or died)."""
    return MatchingRun.objects.create(
        city=city, trigger=trigger, status=RunStatus.RUNNING, started_at=timezone.now()
    )


@pytest.mark.django_db
def test_a_run_claimed_while_another_held_the_lock_ends_done_by_it(city, shelter):
    factories.SpaceFactory(shelter=shelter, beds=4)
    parties = [factories.PartyFactory(city=city, members=[MAN]) for _ in range(6)]
    waiting_for_the_lock = claimed(city, "api")
    run = MatchingRun.objects.create(city=city, trigger="timer")

    run = services.matching_run_execute(run_id=run.id)

    assert (run.status, run.placed_parties, run.waiting_parties) == (RunStatus.DONE, 4, 2)
    waiting_for_the_lock.refresh_from_db()
    assert waiting_for_the_lock.status == RunStatus.DONE
    assert waiting_for_the_lock.superseded_by_id == run.id
    assert waiting_for_the_lock.finished_at == run.finished_at
    assert (waiting_for_the_lock.placed_parties, waiting_for_the_lock.waiting_parties) == (0, 2)
    assert waiting_for_the_lock.duration_ms is None
    # Its worker, once it has the lock, finds it done and places nobody a second time.
    again = services.matching_run_execute(run_id=waiting_for_the_lock.id)
    assert (again.status, again.superseded_by_id) == (RunStatus.DONE, run.id)
    placed = Party.objects.filter(id__in=[p.id for p in parties], status=PartyStatus.PLACED)
    assert placed.count() == 4
    # The API says so: a run done by another is not a failure.
    coordinator = APIClient()
    coordinator.force_authenticate(factories.member(Role.COORDINATOR, cities=[city]))
    shown = coordinator.get(f"/api/v1/matching/runs/{waiting_for_the_lock.id}/").json()
    assert (shown["status"], shown["superseded_by"], shown["placed_parties"]) == (
        "done",
        str(run.id),
        0,
    )
    assert coordinator.get(f"/api/v1/matching/runs/{run.id}/").json()["superseded_by"] is None


@pytest.mark.django_db
def test_a_registrations_run_that_does_a_full_runs_work_is_full(city, shelter):
    backlog = factories.PartyFactory(city=city, members=[MAN])
    # Registered well before the last run: an incremental run would not look at it.
    Party.objects.filter(id=backlog.id).update(updated_at=timezone.now() - timedelta(minutes=10))
    last = services.matching_run_execute(
        run_id=MatchingRun.objects.create(city=city, trigger="timer").id
    )
    assert (last.placed_parties, last.waiting_parties) == (0, 1)  # no beds yet
    factories.SpaceFactory(shelter=shelter, beds=2)  # beds added: a full run was asked
    freed_beds = claimed(city, "room_available")
    run = MatchingRun.objects.create(city=city, trigger="registration")

    run = services.matching_run_execute(run_id=run.id)

    assert run.placed_parties == 1
    assert Party.objects.get(id=backlog.id).status == PartyStatus.PLACED
    freed_beds.refresh_from_db()
    assert (freed_beds.status, freed_beds.superseded_by_id) == (RunStatus.DONE, run.id)


@pytest.mark.django_db
def test_runs_of_other_cities_and_finished_runs_are_left_as_they_are(city, shelter):
    other_city = factories.CityFactory()
    elsewhere = claimed(other_city, "api")
    failed = MatchingRun.objects.create(
        city=city, trigger="api", status=RunStatus.FAILED, error="boom"
    )
    run = services.matching_run_execute(
        run_id=MatchingRun.objects.create(city=city, trigger="timer").id
    )
    assert run.status == RunStatus.DONE
    elsewhere.refresh_from_db()
    failed.refresh_from_db()
    assert (elsewhere.status, elsewhere.superseded_by_id) == (RunStatus.RUNNING, None)
    assert (failed.status, failed.superseded_by_id) == (RunStatus.FAILED, None)
