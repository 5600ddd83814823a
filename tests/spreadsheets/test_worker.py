"""A large register goes to a real Celery worker on Redis and PostgreSQL: the check and
the import run there, and the job's progress moves while they do."""

import time

import pytest
from rest_framework.test import APIClient

from arrivals.models import Party
from spreadsheets.models import ImportJob
from tests.arrivals.workflow.conftest import live_worker  # noqa: F401 - the fixture

from .conftest import csv_file, upload

pytestmark = [pytest.mark.postgres, pytest.mark.redis]
PARTIES = 600


def register(count: int) -> list[list]:
    rows = [["party", "given_name", "sex", "age_group", "consent"]]
    for number in range(1, count + 1):
        rows.append([str(number), f"Person {number}", "female", "adult", "yes"])
        if number % 3 == 0:
            rows.append([str(number), f"Child {number}", "male", "child", ""])
    return rows


def follow(client, job_id, timeout: float = 300) -> tuple[dict, list[int]]:
    """Poll the job as a page would until it has finished; the progress seen on the way."""
    seen: list[int] = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        job = client.get(f"/api/v1/imports/{job_id}/").json()
        seen.append(job["rows_done"])
        if job["status"] not in ("queued", "running"):
            return job, seen
        time.sleep(0.05)
    raise AssertionError(f"the job did not finish; progress seen: {seen[-5:]}")


def test_a_large_register_is_checked_and_imported_by_a_worker_with_progress(
    live_worker,  # noqa: F811 - the fixture imported above
    settings,
    city,
    coordinator,
):
    settings.SPREADSHEET_INLINE_ROWS = 50
    client = APIClient()
    client.force_authenticate(coordinator)
    rows = register(PARTIES)
    total = len(rows) - 1

    answer = upload(client, city, "parties", csv_file(rows))
    assert answer.status_code == 201, answer.content
    # Too large for the request: the answer comes at once, and a worker goes through it.
    assert answer.json()["status"] in ("queued", "running")
    check, seen = follow(client, answer.json()["id"])
    assert check["status"] == "checked", check
    assert check["errors"] == []
    assert check["summary"] == {"created": PARTIES}
    assert not Party.objects.exists()

    done = client.post(f"/api/v1/imports/{check['id']}/confirm/").json()
    assert done["status"] in ("queued", "running")
    done, seen_import = follow(client, check["id"])
    assert done["status"] == "done", done
    assert Party.objects.filter(city=city).count() == PARTIES
    assert ImportJob.objects.get(id=check["id"]).content == ""

    # The progress was seen moving, between nothing and everything, in both runs.
    for progress in (seen, seen_import):
        between = [value for value in progress if 0 < value < total]
        assert between, progress[:20]
        assert between == sorted(between)
