"""A large file is checked by a worker, which has no request and so no language: the
job remembers its sender's, and the errors it stores read in it."""

import threading

import pytest
from django.db import connections
from django.utils import translation

from spreadsheets.models import ImportJob
from spreadsheets.tasks import import_job_run

from .conftest import csv_file

ROWS = [
    ["party", "given_name", "sex", "consent"],
    ["1", "Aigerim", "girl", "yes"],
    ["2", "Ivan", "male", "yes"],
]
SAID = {
    "ru": "Не одно из значений, которые принимает этот столбец.",  # noqa: RUF001
    "kk": "Бұл баған қабылдайтын мәндердің бірі емес.",  # noqa: RUF001
}


class Stub:
    def apply_async(self):
        pass


def in_a_thread(job_id) -> None:
    """The task as a worker runs it: another thread, no language active."""

    def work():
        try:
            import_job_run(str(job_id))
        finally:
            connections.close_all()

    worker = threading.Thread(target=work)
    worker.start()
    worker.join()


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("language", ["ru", "kk"])
def test_a_worker_stores_the_errors_in_the_sender_s_language(
    coordinator_client, city, settings, monkeypatch, language
):
    settings.SPREADSHEET_INLINE_ROWS = 1  # to a worker: queued after the request
    sent = []
    monkeypatch.setattr(  # the broker takes the task; the worker below runs it
        "spreadsheets.services.signature", lambda name, args: sent.append(args) or Stub()
    )
    answer = coordinator_client.post(
        "/api/v1/imports/",
        {"city": str(city.id), "kind": "parties", "file": csv_file(ROWS)},
        format="multipart",
        HTTP_ACCEPT_LANGUAGE=language,
    )
    assert answer.status_code == 201, answer.content
    job = ImportJob.objects.get(id=answer.json()["id"])
    assert job.status == "queued" and sent == [(str(job.id),)]
    assert job.language == language
    with translation.override(None):  # the worker thread has none either
        in_a_thread(job.id)
    job.refresh_from_db()
    assert job.status == "checked"
    assert [(e["line"], e["column"], e["message"]) for e in job.errors] == [
        (2, "sex", SAID[language])
    ]


@pytest.mark.django_db
def test_a_job_without_a_language_is_run_in_the_default_one(city, coordinator):
    job = ImportJob.objects.create(
        city=city,
        kind="shelters",
        file_name="shelters.pdf",
        created_by=coordinator,
        content="c2hlbHRlcixraW5kCg==",
    )
    with translation.override("ru"):
        import_job_run(str(job.id))
    job.refresh_from_db()
    assert job.errors[0]["message"] == "Send a CSV or XLSX file."
