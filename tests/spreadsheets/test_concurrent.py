"""Two imports of the same register confirmed at once, on PostgreSQL: the parties are
registered once; the import that waited finds them and adds nothing."""

import threading

import pytest
from django.db import connections

from arrivals.models import Party
from spreadsheets import services
from spreadsheets.models import ImportJob
from spreadsheets.serializers import ROW_SHAPES

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
