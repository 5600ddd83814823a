"""A matching run on PostgreSQL writes its placements in bulk (arrivals.services:
`_placements_write`): re-checked under the spaces' locks, and done again in the global
lock order, checked before they are written, when a space is busy or no longer takes
them all; and a run asked only by a registration looks at what is new."""

import threading
import time
from datetime import timedelta

import pytest
from django.db import connection, transaction
from django.utils import timezone

from accounts.access import system_access
from arrivals import matching as engine
from arrivals import services
from arrivals.models import MatchingRun, Party, PartyEvent, PartyStatus, Placement, RunStatus
from arrivals.selectors import matching_snapshot
from shelters import services as shelter_services
from shelters.models import Admits, ShelterStatus, Space
from tests import factories
from tests.arrivals.workflow.helpers import assert_consistent

pytestmark = pytest.mark.postgres

MAN = {"given_name": "Ruslan", "sex": "male", "age_group": "adult"}


def write(run, proposals, seen=None):
    """The run's placements of (party, space) `proposals`, as `_placements_write` writes
    them after the snapshot `seen` (by default, one taken now)."""
    spaces, snapshot, revisions = seen or matching_snapshot(city_id=run.city_id)
    compositions = {party.id: party for party in snapshot}
    with transaction.atomic():
        return services._placements_write(
            run=run,
            proposals=[engine.Placement(party=str(p), space=str(s)) for p, s in proposals],
            compositions=compositions,
            revisions=revisions,
            seen={space.id: space for space in spaces},
        )


@pytest.mark.django_db
def test_what_changed_since_the_snapshot_is_not_written(city, shelter, caplog):
    space = factories.SpaceFactory(shelter=shelter, beds=3)
    men_only = factories.SpaceFactory(shelter=shelter, beds=3, admits=Admits.MEN_ONLY)
    cancelled, fits, big, man = (
        factories.PartyFactory(city=city),
        factories.PartyFactory(city=city),
        factories.PartyFactory(city=city, members=[MAN, MAN]),
        factories.PartyFactory(city=city, members=[MAN]),
    )
    run = MatchingRun.objects.create(city=city, status=RunStatus.RUNNING)
    man_times = (man.status_changed_at, man.updated_at)
    seen = matching_snapshot(city_id=city.id)
    services.party_cancel(party_id=cancelled.id, access=system_access("volunteer"))
    # The men-only space starts to admit only women and children after the snapshot.
    Space.objects.filter(id=men_only.id).update(admits=Admits.WOMEN_AND_CHILDREN)
    written = write(
        run,
        [
            (cancelled.id, space.id),
            (fits.id, space.id),
            (big.id, space.id),  # 2 beds left: yes
            (man.id, men_only.id),  # policy changed
        ],
        seen,
    )
    assert sorted(party for _id, party, _space, _beds in written) == sorted(
        [str(fits.id), str(big.id)]
    )
    # The optimistic write found the changed space, and all was done again in lock order.
    assert "spaces changed, placing in the global lock order" in caplog.text
    assert Party.objects.get(id=cancelled.id).status == PartyStatus.CANCELLED
    man.refresh_from_db()
    assert man.status == PartyStatus.WAITING  # never written: as it was, to the microsecond
    assert (man.status_changed_at, man.updated_at) == man_times
    assert not Placement.objects.filter(party=man).exists()
    assert not PartyEvent.objects.filter(party=man, to_status=PartyStatus.PLACED).exists()
    space.refresh_from_db()
    assert space.beds_held == 3
    assert_consistent()


@pytest.mark.django_db
def test_a_closed_shelter_or_a_full_space_takes_nobody(city, shelter):
    space = factories.SpaceFactory(shelter=shelter, beds=1)
    first, second = factories.PartyFactory(city=city), factories.PartyFactory(city=city)
    other = factories.SpaceFactory(shelter=factories.ShelterFactory(city=city), beds=5)
    third = factories.PartyFactory(city=city)
    run = MatchingRun.objects.create(city=city, status=RunStatus.RUNNING)
    other.shelter.status = ShelterStatus.CLOSED
    other.shelter.save(update_fields=["status"])
    written = write(run, [(first.id, space.id), (second.id, space.id), (third.id, other.id)])
    assert [party for _id, party, _space, _beds in written] == [str(first.id)]
    assert Party.objects.filter(status=PartyStatus.WAITING).count() == 2
    assert_consistent()


@pytest.mark.django_db(transaction=True)
def test_a_busy_space_makes_the_run_take_its_locks_in_order(city, shelter):
    space = factories.SpaceFactory(shelter=shelter, beds=4)
    parties = [factories.PartyFactory(city=city) for _ in range(3)]
    run = MatchingRun.objects.create(city=city, status=RunStatus.RUNNING)
    locked, release, done = threading.Event(), threading.Event(), threading.Event()
    written: list = []

    def hold():
        try:
            with transaction.atomic():
                Space.objects.select_for_update().get(id=space.id)
                locked.set()
                release.wait(timeout=60)
        finally:
            connection.close()

    def apply():
        try:
            written.extend(write(run, [(p.id, space.id) for p in parties]))
        finally:
            done.set()
            connection.close()

    holder = threading.Thread(target=hold)
    holder.start()
    assert locked.wait(timeout=30)
    applier = threading.Thread(target=apply)
    applier.start()
    time.sleep(services.OPTIMISTIC_LOCK_TIMEOUT_MS / 1000 + 0.5)
    # The optimistic try gave up its parties' locks; the run now waits for the space first.
    assert Party.objects.filter(status=PartyStatus.PLACED).count() == 0
    assert not done.is_set()
    release.set()
    holder.join(timeout=30)
    applier.join(timeout=30)
    assert len(written) == 3
    assert Placement.objects.count() == 3
    assert Space.objects.get(id=space.id).beds_held == 3
    assert_consistent()


@pytest.mark.django_db
def test_a_run_asked_by_registrations_looks_only_at_what_is_new(city, shelter):
    factories.SpaceFactory(shelter=shelter, beds=2)
    backlog = [factories.PartyFactory(city=city, members=[MAN] * 3) for _ in range(5)]
    # Registered well before the last run (closer than INCREMENTAL_MARGIN would count as new).
    Party.objects.filter(city=city).update(updated_at=timezone.now() - timedelta(minutes=10))
    full = MatchingRun.objects.create(city=city, trigger="timer")
    full = services.matching_run_execute(run_id=full.id)
    assert (full.placed_parties, full.waiting_parties) == (0, 5)  # nothing fits 3 people
    newcomer = factories.PartyFactory(city=city, members=[MAN])
    run = MatchingRun.objects.create(city=city, trigger="registration")

    run = services.matching_run_execute(run_id=run.id)

    assert (run.placed_parties, run.waiting_parties) == (1, 0)  # the newcomer alone
    assert Party.objects.get(id=newcomer.id).status == PartyStatus.PLACED
    for party in backlog:
        party.refresh_from_db()
        assert party.waiting_reason == full.unplaced[0]["reason"]
    assert_consistent()


@pytest.mark.django_db
def test_freed_beds_fold_into_a_queued_registration_run_as_a_full_run(city, shelter):
    factories.SpaceFactory(shelter=shelter, beds=5)
    factories.PartyFactory(city=city)
    queued = services.matching_request(city_id=city.id, trigger="registration")
    services.matching_request(city_id=city.id, trigger="room_available")
    queued.refresh_from_db()
    assert queued.trigger == "room_available"


@pytest.mark.django_db
def test_what_points_at_a_deleted_run_or_party_goes_with_it(city, shelter):
    # A placement's run and a history line's party have no constraint in the database
    # (a run writes tens of thousands at once): Django's SET_NULL and CASCADE hold them.
    space = factories.SpaceFactory(shelter=shelter, beds=3)
    placed, waiting = factories.PartyFactory(city=city), factories.PartyFactory(city=city)
    run = MatchingRun.objects.create(city=city, status=RunStatus.RUNNING)
    write(run, [(placed.id, space.id)])
    placement = Placement.objects.get(party=placed)
    assert placement.run_id == run.id
    run.delete()
    placement.refresh_from_db()
    assert placement.run_id is None
    PartyEvent.objects.create(party=waiting, actor="coord", to_status=PartyStatus.WAITING)
    waiting.delete()
    assert not PartyEvent.objects.filter(party_id=waiting.id).exists()


@pytest.mark.django_db
def test_a_space_deleted_after_the_snapshot_takes_nobody(city, shelter):
    kept = factories.SpaceFactory(shelter=shelter, beds=2)
    gone = factories.SpaceFactory(shelter=shelter, beds=2)
    first, second = factories.PartyFactory(city=city), factories.PartyFactory(city=city)
    run = MatchingRun.objects.create(city=city, status=RunStatus.RUNNING)
    seen = matching_snapshot(city_id=city.id)
    shelter_services.space_delete(space_id=gone.id)  # empty when the manager deleted it

    written = write(run, [(first.id, kept.id), (second.id, gone.id)], seen)

    assert [party for _id, party, _space, _beds in written] == [str(first.id)]
    assert list(Placement.objects.values_list("party_id", "space_id")) == [(first.id, kept.id)]
    assert Party.objects.get(id=second.id).status == PartyStatus.WAITING
    assert_consistent()


@pytest.mark.django_db
def test_a_party_deleted_after_the_snapshot_gets_no_placement(city, shelter):
    # A placement's party is not checked by the database either: the run writes a
    # placement only for a party its UPDATE found and locked.
    space = factories.SpaceFactory(shelter=shelter, beds=4)
    kept, gone = factories.PartyFactory(city=city), factories.PartyFactory(city=city)
    run = MatchingRun.objects.create(city=city, status=RunStatus.RUNNING)
    seen = matching_snapshot(city_id=city.id)
    Party.objects.filter(id=gone.id).delete()  # as the demo loader deletes its parties

    written = write(run, [(kept.id, space.id), (gone.id, space.id)], seen)

    assert [party for _id, party, _space, _beds in written] == [str(kept.id)]
    assert list(Placement.objects.values_list("party_id", flat=True)) == [kept.id]
    assert list(PartyEvent.objects.values_list("party_id", "to_status")) == [
        (kept.id, PartyStatus.PLACED)
    ]
    assert Space.objects.get(id=space.id).beds_held == kept.size
    assert_consistent()
