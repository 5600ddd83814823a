from django.conf import settings
from django.shortcuts import get_object_or_404
from django.utils.text import slugify
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.permissions import AccessMixin
from arrivals.selectors import capacity_history
from arrivals.serializers import CapacityHistoryQuerySerializer
from arrivals.services import parties_personal_data_show
from shelters.models import City

from . import selectors, services
from .models import ImportJob
from .readers import FileRefused
from .renderers import CsvTableRenderer, XlsxTableRenderer
from .serializers import (
    ROW_SHAPES,
    ImportJobSerializer,
    PartiesExportQuerySerializer,
    PlacementsExportQuerySerializer,
)


class ImportJobViewSet(AccessMixin, mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet):
    """Spreadsheet imports of a city (coordinators): upload (a check, writing nothing),
    read the result and its progress, confirm to import."""

    serializer_class = ImportJobSerializer
    parser_classes = [MultiPartParser, FormParser]
    filterset_fields = ["city", "kind", "status"]
    resource = "importjob"

    def get_queryset(self):
        return self.access.scope(ImportJob.objects.all()).order_by("-created_at", "id")

    def create(self, request, *args, **kwargs):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        upload = data["file"]
        # One byte past the limit is enough for the service to refuse it as too big.
        content = upload.read(settings.SPREADSHEET_MAX_BYTES + 1)
        try:
            job = services.import_job_create(
                user=request.user,
                city=data["city"],
                kind=data["kind"],
                file_name=upload.name or "",
                content=content,
                shapes=ROW_SHAPES,
            )
        except FileRefused as refused:
            return Response(
                {"file": [refused.message], "code": refused.code},
                status=status.HTTP_400_BAD_REQUEST,
            )
        job.refresh_from_db()
        return Response(self.get_serializer(job).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=None, responses=ImportJobSerializer)
    @action(detail=True, methods=["post"])
    def confirm(self, request, pk=None):
        """Import a checked file that had no bad row: all or nothing."""
        job = services.import_job_confirm(job_id=self.get_object().id, shapes=ROW_SHAPES)
        job.refresh_from_db()
        return Response(self.get_serializer(job).data)


class _ExportView(AccessMixin, APIView):
    """An export answers a file, CSV or XLSX, nothing else: `?format=json` answers 400
    naming those two (`config.negotiation`), an `Accept` that takes neither 406; both
    before the view reads or audits anything. An `Accept` that prefers JSON but takes
    anything (`application/json, */*`, axios' default) gets CSV. Errors and the
    description `OPTIONS` gives are JSON."""

    renderer_classes = [CsvTableRenderer, XlsxTableRenderer]
    query_serializer = PlacementsExportQuerySerializer

    def get_renderers(self):
        renderers = super().get_renderers()
        if self.request is not None and self.request.method == "OPTIONS":
            return [JSONRenderer(), *renderers]  # a description, not an export
        return renderers

    def city(self, city_id) -> City:
        return get_object_or_404(self.access.scope(City.objects.all()), id=city_id)

    def finalize_response(self, request, response, *args, **kwargs):
        table = getattr(response, "data", None)
        if response.status_code >= 400 or not isinstance(table, selectors.ExportTable):
            # Errors and OPTIONS' description stay JSON whatever was asked for: no export.
            request.accepted_renderer = JSONRenderer()
            request.accepted_media_type = JSONRenderer.media_type
        response = super().finalize_response(request, response, *args, **kwargs)
        if isinstance(table, selectors.ExportTable) and response.status_code < 400:
            ending = request.accepted_renderer.format
            name = slugify(table.name, allow_unicode=False) or "berth"
            response["Content-Disposition"] = f'attachment; filename="{name}.{ending}"'
            response["Cache-Control"] = "no-store"
        return response


EXPORT_FORMAT = OpenApiParameter(
    "format", str, enum=["csv", "xlsx"], description="csv (the default) or xlsx"
)


class PartiesExportView(_ExportView):
    """`GET /api/v1/exports/parties/?city=<id>`: one row per member of each party."""

    resource = "partiesexport"

    @extend_schema(
        parameters=[PartiesExportQuerySerializer, EXPORT_FORMAT],
        responses={
            (200, "text/csv"): OpenApiResponse(OpenApiTypes.BINARY),
            (200, XlsxTableRenderer.media_type): OpenApiResponse(OpenApiTypes.BINARY),
        },
    )
    def get(self, request):
        query = PartiesExportQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        city = self.city(query.validated_data["city"])
        parties = list(
            selectors.parties_for_export(city=city, statuses=query.validated_data.get("status", ()))
        )
        shown: set = set()
        if query.validated_data["personal"]:
            shown = parties_personal_data_show(access=self.access, parties=parties)
        return Response(selectors.parties_export(city=city, parties=parties, personal_ids=shown))


class PlacementsExportView(_ExportView):
    """`GET /api/v1/exports/placements/?city=<id>`: every placement of the city."""

    resource = "placementsexport"

    @extend_schema(
        parameters=[PlacementsExportQuerySerializer, EXPORT_FORMAT],
        responses={
            (200, "text/csv"): OpenApiResponse(OpenApiTypes.BINARY),
            (200, XlsxTableRenderer.media_type): OpenApiResponse(OpenApiTypes.BINARY),
        },
    )
    def get(self, request):
        query = PlacementsExportQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        city = self.city(query.validated_data["city"])
        return Response(
            selectors.placements_export(city=city, statuses=query.validated_data.get("status", ()))
        )


class CapacityHistoryExportView(_ExportView):
    """`GET /api/v1/exports/capacity-history/?city=<id>&from=&to=&interval=hour|day`: the
    rows of `GET /capacity/history/`, unpaginated."""

    resource = "capacityexport"

    @extend_schema(
        parameters=[
            OpenApiParameter("city", str, required=True),
            OpenApiParameter("from", OpenApiTypes.DATETIME),
            OpenApiParameter("to", OpenApiTypes.DATETIME),
            OpenApiParameter("interval", str, enum=["hour", "day"]),
            EXPORT_FORMAT,
        ],
        responses={
            (200, "text/csv"): OpenApiResponse(OpenApiTypes.BINARY),
            (200, XlsxTableRenderer.media_type): OpenApiResponse(OpenApiTypes.BINARY),
        },
    )
    def get(self, request):
        query = CapacityHistoryQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        params = query.validated_data
        city = self.city(params["city"])
        snapshots = capacity_history(
            city=city, since=params["from"], until=params["to"], interval=params["interval"]
        )
        return Response(selectors.capacity_history_export(city=city, snapshots=snapshots))
