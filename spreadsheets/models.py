import uuid

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from accounts.reach import Reach
from privacy.fields import EncryptedTextField
from shelters.models import City


class ImportKind(models.TextChoices):
    SHELTERS = "shelters", _("Shelters and spaces")
    PARTIES = "parties", _("Register of arrivals")
    HOST_OFFERS = "host_offers", _("Host offers")


class ImportMode(models.TextChoices):
    CHECK = "check", _("Check")
    IMPORT = "import", _("Import")


class ImportStatus(models.TextChoices):
    QUEUED = "queued", _("Queued")
    RUNNING = "running", _("Running")
    CHECKED = "checked", _("Checked")
    DONE = "done", _("Imported")
    FAILED = "failed", _("Failed")


class ImportJob(models.Model):
    """One uploaded spreadsheet: checked first (a dry run, `mode` check), then imported
    on confirmation (`mode` import), each by `spreadsheets.services.import_job_run`,
    in the request for a small file, by a Celery worker for a large one.

    `rows_done` of `rows_total` is the progress, written as the rows are gone through;
    `errors` every bad row with its line and reason (no cell values: a register holds
    names and phones); `corrections` the parties already in Berth that a register's rows
    correct, by line and code. The file itself is kept encrypted until it is imported, fails or
    is purged (`import_jobs_purge`).
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    city = models.ForeignKey(
        City, on_delete=models.CASCADE, related_name="+", verbose_name=_("city")
    )
    kind = models.CharField(_("kind"), max_length=20, choices=ImportKind.choices)
    mode = models.CharField(
        _("mode"), max_length=10, choices=ImportMode.choices, default=ImportMode.CHECK
    )
    status = models.CharField(
        _("status"), max_length=10, choices=ImportStatus.choices, default=ImportStatus.QUEUED
    )
    file_name = models.CharField(_("file name"), max_length=200)
    file_format = models.CharField(_("file format"), max_length=10)
    file_sha256 = models.CharField(_("file digest"), max_length=64)
    # The file's bytes, base64, encrypted at rest; emptied once it is no longer needed.
    content = EncryptedTextField(_("content"), blank=True)
    rows_total = models.PositiveIntegerField(_("rows"), default=0)
    rows_done = models.PositiveIntegerField(_("rows done"), default=0)
    errors = models.JSONField(_("errors"), default=list, blank=True)
    errors_count = models.PositiveIntegerField(_("errors count"), default=0)
    summary = models.JSONField(_("summary"), default=dict, blank=True)
    # The parties already in Berth a register corrects: [{"line", "party": its code}].
    corrections = models.JSONField(_("corrections"), default=list, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
        verbose_name=_("created by"),
    )
    # The language of the page or request that sent the file (and of its confirmation):
    # a worker, with no request, checks and imports in it, so that the errors it stores
    # read in the language of the person who reads them.
    language = models.CharField(_("language"), max_length=10, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    started_at = models.DateTimeField(_("started at"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)

    reach = Reach(city="city")

    class Meta:
        ordering = ["-created_at", "id"]
        verbose_name = _("spreadsheet import")
        verbose_name_plural = _("spreadsheet imports")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(rows_done__lte=models.F("rows_total")),
                name="import_job_progress_within_rows",
            ),
        ]

    def __str__(self) -> str:
        return self.file_name


class ImportedRow(models.Model):
    """What an import made, by its natural key in the city: the same file imported again
    finds its rows here (or, for shelters and spaces, by name) and adds nothing.

    `key` is a keyed digest of the row's natural key (a register's party number, a host's
    address), `content` one of what the row said, so that a row given again with other
    details is told apart from the same row given twice."""

    city = models.ForeignKey(City, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=20, choices=ImportKind.choices)
    key = models.CharField(max_length=64)
    content = models.CharField(max_length=64)
    object_id = models.UUIDField()
    job = models.ForeignKey(ImportJob, on_delete=models.SET_NULL, null=True, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["city", "kind", "key"], name="imported_row_unique_key"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.object_id}"
