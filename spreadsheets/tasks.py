from celery import shared_task

from config.celery import RELIABLE

from . import services
from .serializers import ROW_SHAPES


# A large file may take longer than the default limits of a task.
@shared_task(
    name="spreadsheets.tasks.import_job_run", time_limit=3600, soft_time_limit=3500, **RELIABLE
)
def import_job_run(job_id: str) -> None:
    services.import_job_run(job_id=job_id, shapes=ROW_SHAPES)


@shared_task(name="spreadsheets.tasks.import_jobs_purge", **RELIABLE)
def import_jobs_purge() -> None:
    services.import_jobs_purge()
