"""The coordinators' spreadsheet pages: upload a file, see its check (every bad row with
its line and reason), import it; export links. Phone-sized, on the same services as the
API (`spreadsheets.services`)."""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.access import Access, access_for
from config.error_summary import error_summary
from config.exceptions import Conflict
from shelters.models import City

from . import rows, services
from .forms import ImportForm
from .models import ImportJob, ImportKind, ImportStatus
from .readers import FileRefused
from .serializers import ROW_SHAPES

JOBS_LISTED = 10
# A job's summary, as the page says it.
SUMMARY_LABELS = {
    "created": _("new"),
    "unchanged": _("already imported, the same"),
    "updated": _("already imported, corrected"),
    "shelters_created": _("new shelters"),
    "shelters_updated": _("shelters changed"),
    "shelters_unchanged": _("shelters already there, the same"),
    "spaces_created": _("new spaces"),
    "spaces_updated": _("spaces changed"),
    "spaces_unchanged": _("spaces already there, the same"),
}
# What a file of each kind may hold: its columns, required ones first.
KIND_HELP = {
    kind: [column.name for column in sorted(columns, key=lambda c: not c.required)]
    for kind, columns in rows.COLUMNS.items()
}


def _access(request, action: str) -> Access:
    access = access_for(request)
    if not access.allows(action):
        raise PermissionDenied
    return access


@require_http_methods(["GET", "POST"])
@login_required
@never_cache
def imports(request):
    """Upload a spreadsheet to check; the last imports; the exports."""
    access = _access(request, "importjob.add")
    cities = access.scope(City.objects.all()).order_by("name")
    kinds = services.import_kinds_available()
    form = ImportForm(cities=cities, kinds=kinds, initial={"kind": ImportKind.SHELTERS})
    status = 200
    if request.method == "POST":
        form = ImportForm(request.POST, request.FILES, cities=cities, kinds=kinds)
        if form.is_valid():
            upload = form.cleaned_data["file"]
            try:
                job = services.import_job_create(
                    user=request.user,
                    city=form.cleaned_data["city"],
                    kind=form.cleaned_data["kind"],
                    file_name=upload.name or "",
                    content=upload.read(settings.SPREADSHEET_MAX_BYTES + 1),
                    shapes=ROW_SHAPES,
                )
            except FileRefused as refused:
                form.add_error("file", refused.message)
            else:
                return redirect("web-import", job_id=job.id)
        status = 400
    jobs = access.scope(ImportJob.objects.select_related("city"), "importjob.view")
    return render(
        request,
        "spreadsheets/imports.html",
        {
            "form": form,
            "error_summary": error_summary([(form, "")]),
            "jobs": jobs.order_by("-created_at")[:JOBS_LISTED],
            "cities": cities,
            "kind_help": [
                (label, KIND_HELP[ImportKind(kind)])
                for kind, label in ImportKind.choices
                if kind in kinds
            ],
            "enums": rows.ENUMS,
            "may_export": access.allows("partiesexport.view"),
        },
        status=status,
    )


@require_GET
@login_required
@never_cache
def import_job(request, job_id):
    """A file's check or import: its progress while it runs, then what it found."""
    access = _access(request, "importjob.view")
    job = get_object_or_404(
        access.scope(ImportJob.objects.select_related("city"), "importjob.view"), id=job_id
    )
    running = job.status in (ImportStatus.QUEUED, ImportStatus.RUNNING)
    return render(
        request,
        "spreadsheets/import.html",
        {
            "job": job,
            "running": running,
            "progress": 100 * job.rows_done // job.rows_total if job.rows_total else 0,
            "may_confirm": job.status == ImportStatus.CHECKED
            and not job.errors_count
            and bool(job.content)
            and access.allows("importjob.confirm"),
            "summary": [
                (SUMMARY_LABELS.get(key, key), count) for key, count in sorted(job.summary.items())
            ],
            "done_html": format_html("<span data-import-done>{}</span>", job.rows_done),
            "api_url": reverse("import-detail", args=[job.id]),
        },
    )


@require_POST
@login_required
def import_confirm(request, job_id):
    access = _access(request, "importjob.confirm")
    job = get_object_or_404(access.scope(ImportJob.objects.all(), "importjob.confirm"), id=job_id)
    try:
        services.import_job_confirm(job_id=job.id, shapes=ROW_SHAPES)
    except Conflict as conflict:
        messages.error(request, str(conflict.detail))
    return redirect("web-import", job_id=job.id)
