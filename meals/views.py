import uuid
import zoneinfo

from django.shortcuts import get_object_or_404
from django.utils.translation import gettext_lazy as _
from django_filters import rest_framework as filters
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.permissions import AccessMixin
from config.filters import FilterSet
from idempotency.api import idempotent_response
from shelters.models import City

from . import selectors, services
from .models import Meal, MealSchedule, MealService, Serving
from .renderers import MealsReportCsvRenderer
from .serializers import (
    MealScheduleSerializer,
    MealServiceSerializer,
    ReportQuerySerializer,
    ReportSerializer,
    ServingInputSerializer,
    ServingSerializer,
)


class MealServiceFilter(FilterSet):
    city = filters.UUIDFilter(field_name="city_id")
    shelter = filters.UUIDFilter(field_name="shelter_id")
    meal = filters.ChoiceFilter(choices=Meal.choices)
    date = filters.DateFilter(
        method="filter_date",
        validators=[selectors.day_check],
        label=_("date (in the city's time zone)"),
    )

    class Meta:
        model = MealService
        fields = ["city", "shelter", "meal", "date"]

    def filter_date(self, queryset, name, value):
        return selectors.meal_services_on_day(queryset, day=value)


class MealServiceViewSet(AccessMixin, viewsets.ModelViewSet):
    serializer_class = MealServiceSerializer
    filterset_class = MealServiceFilter
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]
    resource = "mealservice"

    def get_queryset(self):
        return self.access.scope(MealService.objects.all()).order_by("starts_at", "id")

    def _data(self, service_id) -> dict:
        service = MealService.objects.get(id=service_id)
        selectors.meal_services_add_figures([service])
        return self.get_serializer(service).data

    def list(self, request, *args, **kwargs):
        page = self.paginate_queryset(self.filter_queryset(self.get_queryset()))
        assert page is not None  # every list is paged (DEFAULT_PAGINATION_CLASS)
        selectors.meal_services_add_figures(page)
        return self.get_paginated_response(self.get_serializer(page, many=True).data)

    def retrieve(self, request, *args, **kwargs):
        return Response(self._data(self.get_object().id))

    def create(self, request, *args, **kwargs):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        service = services.meal_service_create(**serializer.validated_data, access=self.access)
        return Response(self._data(service.id), status=status.HTTP_201_CREATED)

    def partial_update(self, request, *args, **kwargs):
        service = self.get_object()
        serializer = self.get_serializer(service, data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        services.meal_service_update(service_id=service.id, data=serializer.validated_data)
        return Response(self._data(service.id))

    def destroy(self, request, *args, **kwargs):
        services.meal_service_delete(service_id=self.get_object().id)
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(
        request=ServingInputSerializer,
        responses={201: ServingSerializer},
        parameters=[OpenApiParameter("Idempotency-Key", str, OpenApiParameter.HEADER)],
    )
    @action(detail=True, methods=["post"])
    def servings(self, request, pk=None):
        """Record portions served. Volunteers and API keys with meals:write in the city,
        managers at their shelters."""
        service_id = self.get_object().id
        access = self.access
        serializer = ServingInputSerializer(data=request.data)

        def record():
            serializer.is_valid(raise_exception=True)
            serving = services.serving_record(
                service_id=service_id, actor=access.username, **serializer.validated_data
            )
            selectors.meal_services_add_figures([serving.service])
            return status.HTTP_201_CREATED, ServingSerializer(serving).data

        return idempotent_response(
            request, access=access, scope=f"meals.servings:{service_id}", work=record
        )

    @extend_schema(request=None, responses={204: None}, filters=False)
    @action(detail=True, methods=["delete"], url_path=r"servings/(?P<serving_id>[^/]+)")
    def serving_take_back(self, request, pk=None, serving_id=None):
        """Take back a serving recorded by mistake: who recorded it, within 15 minutes;
        a shelter manager or coordinator who may change the service, at any time."""
        service = self.get_object()
        try:
            serving_id = uuid.UUID(str(serving_id))
        except ValueError as error:
            raise NotFound from error
        get_object_or_404(Serving.objects.filter(service=service), id=serving_id)
        services.serving_take_back(serving_id=serving_id, access=self.access)
        return Response(status=status.HTTP_204_NO_CONTENT)


class MealScheduleFilter(FilterSet):
    shelter = filters.UUIDFilter(field_name="shelter_id")
    city = filters.UUIDFilter(field_name="shelter__city_id")
    meal = filters.ChoiceFilter(choices=Meal.choices)

    class Meta:
        model = MealSchedule
        fields = ["shelter", "city", "meal"]


class MealScheduleViewSet(AccessMixin, viewsets.ModelViewSet):
    """A shelter's daily meals (times in the city's time zone); each day's services are
    made from them by the beat task `meals.tasks.meal_services_create_for_today`."""

    serializer_class = MealScheduleSerializer
    filterset_class = MealScheduleFilter
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]
    resource = "mealschedule"

    def get_queryset(self):
        entries = self.access.scope(MealSchedule.objects.all())
        return entries.order_by("shelter_id", "time", "meal", "id")

    def create(self, request, *args, **kwargs):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        entry = services.meal_schedule_create(**serializer.validated_data)
        return Response(self.get_serializer(entry).data, status=status.HTTP_201_CREATED)

    def partial_update(self, request, *args, **kwargs):
        entry = self.get_object()
        serializer = self.get_serializer(entry, data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        entry = services.meal_schedule_update(schedule_id=entry.id, data=serializer.validated_data)
        return Response(self.get_serializer(entry).data)

    def destroy(self, request, *args, **kwargs):
        services.meal_schedule_delete(schedule_id=self.get_object().id)
        return Response(status=status.HTTP_204_NO_CONTENT)


class MealsReportView(AccessMixin, APIView):
    """A city's meals of one day: `GET /api/v1/meals/report/?city=<id>&date=YYYY-MM-DD`,
    as JSON or, with `format=csv` or `Accept: text/csv`, as CSV."""

    renderer_classes = [JSONRenderer, MealsReportCsvRenderer]
    resource = "mealsreport"

    @extend_schema(
        parameters=[
            OpenApiParameter("city", str, required=True),
            OpenApiParameter("date", str, required=True, description="YYYY-MM-DD"),
        ],
        responses=ReportSerializer,
    )
    def get(self, request):
        query = ReportQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        city: City = get_object_or_404(
            self.access.scope(City.objects.all()), id=query.validated_data["city"]
        )
        report = selectors.meals_report(city=city, day=query.validated_data["date"])
        context = {"tz": zoneinfo.ZoneInfo(city.timezone)}
        return Response(ReportSerializer(report, context=context).data)

    def finalize_response(self, request, response, *args, **kwargs):
        csv_wanted = isinstance(getattr(request, "accepted_renderer", None), MealsReportCsvRenderer)
        report = response.status_code < 400 and request.method in ("GET", "HEAD")
        if csv_wanted and not report:
            # Errors and OPTIONS' description stay JSON whatever was asked for: no report.
            request.accepted_renderer = JSONRenderer()
            request.accepted_media_type = JSONRenderer.media_type
        response = super().finalize_response(request, response, *args, **kwargs)
        if csv_wanted and report:
            day = response.data["date"]
            response["Content-Disposition"] = f'attachment; filename="meals-{day}.csv"'
        return response
