"""Imports beside other writers, on PostgreSQL: two imports of the same register confirmed
at once register the parties once (the import that waited finds them and adds nothing);
a shelters file takes its locks in the order every writer keeps."""

import logging
import threading
import uuid

import psycopg
import pytest
from django.db import connections, transaction

from arrivals.models import Party
from shelters.models import Space
from shelters.services import spaces_lock
from spreadsheets import services
from spreadsheets.models import ImportJob
from spreadsheets.serializers import ROW_SHAPES
from tests import factories
from tests.arrivals.workflow.helpers import wait_for

from .conftest import csv_file

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_the_same_file_imported_twice_at_once_registers_each_party_once(city, coordinator):
    rows = [["party", "given_name", "consent"]] + [
        [str(n), f"Person {n}", "yes"] for n in range(40)
    ]
    content = csv_file(rows).read()
    jobs = [
        services.import_job_create(
            user=coordinator,
            city=city,
            kind="parties",
            file_name="register.csv",
            content=content,
            shapes=ROW_SHAPES,
        )
        for _ in range(2)
    ]
    assert [job.status for job in jobs] == ["checked", "checked"]
    barrier = threading.Barrier(2)
    failures: list[BaseException] = []

    def confirm(job_id):
        try:
            barrier.wait(timeout=10)
            services.import_job_confirm(job_id=job_id, shapes=ROW_SHAPES)
        except BaseException as error:  # noqa: BLE001 - reported below
            failures.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=confirm, args=(job.id,)) for job in jobs]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert failures == []
    assert Party.objects.filter(city=city).count() == 40
    done = sorted(
        (job.summary for job in ImportJob.objects.filter(status="done")), key=lambda s: sorted(s)
    )
    assert done == [{"created": 40}, {"unchanged": 40}]


def _crossing_writer(city, coordinator) -> tuple[list[BaseException], ImportJob]:
    """A shelters file whose first shelter's space sorts last, confirmed while a writer
    holds the other space (as a move or the matcher would, in id order) and, once the
    import waits for a lock, asks for this one too."""
    late = factories.SpaceFactory(
        id=uuid.UUID(int=2**128 - 1), shelter__city=city, shelter__name="Late", name="Hall"
    )
    early = factories.SpaceFactory(
        id=uuid.UUID(int=1), shelter__city=city, shelter__name="Early", name="Hall"
    )
    rows = [["shelter", "kind", "space", "beds"], ["Late", "gym", "Hall", 11]]
    rows.append(["Early", "gym", "Hall", 12])
    job = services.import_job_create(
        user=coordinator,
        city=city,
        kind="shelters",
        file_name="shelters.csv",
        content=csv_file(rows).read(),
        shapes=ROW_SHAPES,
    )
    assert job.status == "checked"
    held = threading.Event()
    failures: list[BaseException] = []

    def writer():
        try:
            with transaction.atomic():
                spaces_lock(space_ids=[early.id])
                held.set()
                wait_for(lambda: _waiting_for_locks() >= 1, timeout=30, what="the import to wait")
                spaces_lock(space_ids=[late.id])
        except BaseException as error:  # noqa: BLE001 - reported by the tests
            failures.append(error)
        finally:
            connections.close_all()

    def confirm():
        try:
            services.import_job_confirm(job_id=job.id, shapes=ROW_SHAPES)
        except BaseException as error:  # noqa: BLE001 - reported by the tests
            failures.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=writer), threading.Thread(target=confirm)]
    threads[0].start()
    assert held.wait(timeout=10)
    threads[1].start()
    for thread in threads:
        thread.join(timeout=120)
    job.refresh_from_db()
    return failures, job


def _imported(job: ImportJob) -> list[int]:
    assert job.status == "done" and job.errors == []
    return sorted(Space.objects.filter(shelter__city=job.city).values_list("beds", flat=True))


def test_a_shelters_file_takes_its_locks_in_the_order_every_writer_keeps(
    city, coordinator, monkeypatch
):
    # One try: a deadlock would fail the import (or cancel the writer). The import asks
    # for both spaces in id order before its first group, so it waits behind the writer.
    monkeypatch.setattr(services, "IMPORT_TRIES", 1)
    failures, job = _crossing_writer(city, coordinator)
    assert failures == []
    assert _imported(job) == [11, 12]


def test_an_import_cancelled_by_a_deadlock_runs_again(city, coordinator, monkeypatch, caplog):
    # Without the locks taken ahead the two cross: PostgreSQL cancels the import, which
    # waited first, and the import runs the file again.
    monkeypatch.setattr(services, "_shelters_lock_ahead", lambda run, table: None)
    caplog.set_level(logging.INFO, logger="spreadsheets.services")
    failures, job = _crossing_writer(city, coordinator)
    assert failures == []
    assert "collided with another writer" in caplog.text
    assert _imported(job) == [11, 12]


def _waiting_for_locks() -> int:
    """Sessions of this database waiting for a lock (the writer's own connection is busy)."""
    with psycopg.connect(_dsn(), autocommit=True) as conn:
        return conn.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
            "AND wait_event_type = 'Lock'"
        ).fetchone()[0]


def _dsn() -> str:
    settings = connections["default"].settings_dict
    return psycopg.conninfo.make_conninfo(
        dbname=settings["NAME"],
        user=settings["USER"],
        host=settings["HOST"] or None,
        port=settings["PORT"] or None,
        password=settings["PASSWORD"] or None,
    )
