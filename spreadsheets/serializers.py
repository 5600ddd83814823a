from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from accounts.fields import ScopedRelatedField
from arrivals.models import PartyStatus, PlacementStatus

from .models import ImportJob, ImportKind


class ImportErrorSerializer(serializers.Serializer):
    line = serializers.IntegerField(
        help_text=_("The row's number in the file (1 is the header); 0: the whole file.")
    )
    column = serializers.CharField(allow_blank=True)
    message = serializers.CharField()


class ImportJobSerializer(serializers.ModelSerializer):
    """An uploaded spreadsheet: checked first, imported once confirmed."""

    city = ScopedRelatedField(action="importjob.add")
    file = serializers.FileField(write_only=True, help_text=_("A CSV (UTF-8) or XLSX file."))
    kind = serializers.ChoiceField(choices=ImportKind.choices)
    errors = ImportErrorSerializer(many=True, read_only=True)
    progress = serializers.SerializerMethodField(help_text=_("Rows gone through, 0 to 100."))

    class Meta:
        model = ImportJob
        fields = [
            "id",
            "city",
            "kind",
            "file",
            "file_name",
            "file_format",
            "mode",
            "status",
            "rows_total",
            "rows_done",
            "progress",
            "errors_count",
            "errors",
            "summary",
            "created_at",
            "started_at",
            "finished_at",
        ]
        read_only_fields = [name for name in fields if name not in ("city", "kind", "file")]

    def get_progress(self, job) -> int:
        return 100 * job.rows_done // job.rows_total if job.rows_total else 0


class ExportQuerySerializer(serializers.Serializer):
    city = serializers.UUIDField()


class PartiesExportQuerySerializer(ExportQuerySerializer):
    status = serializers.MultipleChoiceField(choices=PartyStatus.choices, required=False)
    personal = serializers.BooleanField(
        default=False,
        help_text=_(
            "true: add names, phones and notes, for the parties whose personal data you may "
            "see; each party shown is recorded in the audit trail."
        ),
    )


class PlacementsExportQuerySerializer(ExportQuerySerializer):
    status = serializers.MultipleChoiceField(choices=PlacementStatus.choices, required=False)
