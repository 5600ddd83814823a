import copy
from decimal import ROUND_HALF_UP
from types import SimpleNamespace

from django.utils.translation import gettext_lazy as _
from rest_framework import ISO_8601, serializers

from accounts.fields import ScopedRelatedField
from arrivals.models import MAX_MEMBERS, PartyStatus, PlacementStatus
from arrivals.serializers import MemberSerializer, PartySerializer, phone_validator
from config.fields import DOTTED_DAY_FORMAT, DateField, LineField, TextField
from config.filters import QuerySerializer
from shelters.models import (
    MAX_BEDS,
    MAX_HOST_ADDRESS,
    MAX_HOST_BEDS,
    MAX_HOST_NAME,
    MAX_HOST_NOTES,
    Admits,
    ShelterKind,
    ShelterStatus,
)

from .models import ImportJob, ImportKind
from .rows import PARTY_FIELDS


class ImportErrorSerializer(serializers.Serializer):
    line = serializers.IntegerField(
        help_text=_("The row's number in the file (1 is the header); 0: the whole file.")
    )
    column = serializers.CharField(allow_blank=True)
    message = serializers.CharField()


class ImportCorrectionSerializer(serializers.Serializer):
    line = serializers.IntegerField(help_text=_("The party's first row in the file."))
    party = serializers.CharField(help_text=_("The code of the party already in Berth."))


class ImportJobSerializer(serializers.ModelSerializer):
    """An uploaded spreadsheet: checked first, imported once confirmed."""

    city = ScopedRelatedField(action="importjob.add")
    # An empty file is refused by the reader, as `empty_file` (`spreadsheets.readers`).
    file = serializers.FileField(
        write_only=True, allow_empty_file=True, help_text=_("A CSV (UTF-8) or XLSX file.")
    )
    kind = serializers.ChoiceField(choices=ImportKind.choices)
    # A declared field is taken out of the class by DRF's metaclass: `Serializer.errors`
    # stays the property; the stubs see a clash.
    errors = ImportErrorSerializer(many=True, read_only=True)  # type: ignore[assignment]
    corrections = ImportCorrectionSerializer(
        many=True,
        read_only=True,
        help_text=_("The parties already in Berth that the file corrects (a register)."),
    )
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
            "corrections",
            "summary",
            "created_at",
            "started_at",
            "finished_at",
        ]
        read_only_fields = [name for name in fields if name not in ("city", "kind", "file")]

    def get_progress(self, job) -> int:
        return 100 * job.rows_done // job.rows_total if job.rows_total else 0


class ExportQuerySerializer(QuerySerializer):
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


# --- The rows of the imports -------------------------------------------------------


class LowerChoiceField(serializers.ChoiceField):
    """A choice given in any case (`Gym`, `GYM`)."""

    def to_internal_value(self, data):
        return super().to_internal_value(data.strip().lower() if isinstance(data, str) else data)


class ShelterRowSerializer(serializers.Serializer):
    """A row of the shelters file: a shelter, and one of its spaces (or none)."""

    shelter = LineField(max_length=200)
    kind = LowerChoiceField(choices=ShelterKind.choices, required=False)
    address = LineField(max_length=300, required=False)
    latitude = serializers.DecimalField(
        max_digits=9,
        decimal_places=6,
        min_value=-90,
        max_value=90,
        rounding=ROUND_HALF_UP,
        required=False,
    )
    longitude = serializers.DecimalField(
        max_digits=9,
        decimal_places=6,
        min_value=-180,
        max_value=180,
        rounding=ROUND_HALF_UP,
        required=False,
    )
    status = LowerChoiceField(choices=ShelterStatus.choices, required=False)
    wheelchair_accessible = serializers.BooleanField(required=False)
    pets_allowed = serializers.BooleanField(required=False)
    contact_phone = LineField(max_length=32, required=False, validators=[phone_validator])
    notes = TextField(max_length=2000, required=False)
    space = LineField(max_length=200, required=False)
    beds = serializers.IntegerField(min_value=0, max_value=MAX_BEDS, required=False)
    admits = LowerChoiceField(choices=Admits.choices, required=False)
    space_wheelchair_accessible = serializers.BooleanField(required=False)

    def validate(self, attrs):
        if "space" not in attrs and any(
            name in attrs for name in ("beds", "admits", "space_wheelchair_accessible")
        ):
            raise serializers.ValidationError({"space": [_("Name the space of these beds.")]})
        if "space" in attrs and "beds" not in attrs:
            raise serializers.ValidationError({"beds": [_("Give the space's beds.")]})
        return attrs


class PartyRowsSerializer(serializers.Serializer):
    """A party of a register (its rows, one per member), validated as the API validates
    a registration: the same field definitions (`arrivals.serializers.PartySerializer`)."""

    def get_fields(self):
        declared = copy.deepcopy(PartySerializer._declared_fields)
        fields = {name: declared[name] for name in PARTY_FIELDS}
        fields["members"] = MemberSerializer(many=True, min_length=1, max_length=MAX_MEMBERS)  # type: ignore[call-arg]
        return fields

    validate_consent = PartySerializer.validate_consent


# Dates as ISO 8601 (2022-09-23, what an XLSX date cell becomes) or as people in Russia
# and Kazakhstan write them (23.09.2022).
DATE_FORMATS = [ISO_8601, DOTTED_DAY_FORMAT]


class HostOfferRowSerializer(serializers.Serializer):
    """A row of the host offers file."""

    address = LineField(max_length=MAX_HOST_ADDRESS)
    beds = serializers.IntegerField(min_value=1, max_value=MAX_HOST_BEDS)
    available_from = DateField(input_formats=DATE_FORMATS)
    available_until = DateField(input_formats=DATE_FORMATS, required=False)
    host_name = LineField(max_length=MAX_HOST_NAME, required=False)
    contact_phone = LineField(max_length=32, required=False, validators=[phone_validator])
    wheelchair_accessible = serializers.BooleanField(required=False)
    pets_allowed = serializers.BooleanField(required=False)
    notes = TextField(max_length=MAX_HOST_NOTES, required=False)


# What `spreadsheets.services.import_job_run` checks each kind's rows with (services
# import no serializers: the callers, the views and the task, hand these over).
ROW_SHAPES = SimpleNamespace(
    shelter_row=ShelterRowSerializer,
    party=PartyRowsSerializer,
    host_offer_row=HostOfferRowSerializer,
)
