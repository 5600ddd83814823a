import zoneinfo

from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from accounts.fields import ScopedRelatedField
from arrivals.models import Diet
from config.fields import DateField, LineField, ModelSerializer
from config.filters import QuerySerializer
from shelters.models import City
from shelters.serializers import ImmutableOnUpdateMixin

from .models import (
    MAX_LOCATION,
    MAX_PLANNED_PORTIONS,
    MAX_SERVING_PORTIONS,
    MEAL_SCHEDULE_EDITABLE_FIELDS,
    MEAL_SERVICE_EDITABLE_FIELDS,
    MealSchedule,
    MealService,
    Serving,
)
from .selectors import day_check


def _diet_counts(**kwargs):
    return serializers.DictField(child=serializers.IntegerField(), read_only=True, **kwargs)


class MealServiceSerializer(ImmutableOnUpdateMixin, ModelSerializer):
    """A meal service with its figures (set by `meals.selectors.meal_services_add_figures`)."""

    immutable_fields = ("city", "shelter")
    # A city is given for a point, where only coordinators plan (the service checks).
    city = ScopedRelatedField(action="mealservice.add_at_point", required=False)
    shelter = ScopedRelatedField(required=False, allow_null=True)
    location = LineField(max_length=MAX_LOCATION, required=False, allow_blank=True)
    planned_portions = serializers.IntegerField(
        min_value=0, max_value=MAX_PLANNED_PORTIONS, required=False, allow_null=True
    )
    forecast_portions = serializers.IntegerField(read_only=True, allow_null=True)
    diet_forecast = _diet_counts(allow_null=True)
    forecast_basis = serializers.CharField(
        read_only=True,
        help_text=_(
            "now: the people held and checked in now; at_start: those there when the "
            "service started; none_no_beds: a point without beds has no forecast."
        ),
    )
    served_portions = serializers.IntegerField(read_only=True)
    served_diet = _diet_counts()
    over_served = serializers.BooleanField(
        read_only=True, help_text=_("More was served than both the forecast and the plan.")
    )
    flags = serializers.ListField(child=serializers.CharField(), read_only=True)

    class Meta:
        model = MealService
        fields = [
            "id",
            "city",
            "shelter",
            *MEAL_SERVICE_EDITABLE_FIELDS,
            "forecast_portions",
            "diet_forecast",
            "forecast_basis",
            "served_portions",
            "served_diet",
            "over_served",
            "flags",
            "schedule",
            "created_by",
            "created_at",
        ]
        read_only_fields = ["id", "schedule", "created_by", "created_at"]
        validators: list[object] = []  # the service answers a taken slot with 409

    def validate(self, attrs):
        """`starts_at` must fall on a day `?date=` and the report accept: the same check
        (`selectors.day_check`) on the same day, the one of the service's city."""
        attrs = super().validate(attrs)
        if "starts_at" in attrs:
            try:
                day_check(_local_day(attrs["starts_at"], city=self._city(attrs)))
            except DjangoValidationError as error:
                raise serializers.ValidationError({"starts_at": error.messages}) from error
        return attrs

    def _city(self, attrs) -> City | None:
        """The city the service is (or will be) in; None when none was given (the
        service then refuses it)."""
        if self.instance is not None:
            return self.instance.city
        if attrs.get("shelter") is not None:
            return attrs["shelter"].city
        return attrs.get("city")


def _local_day(value, *, city: City | None):
    if city is None:
        return value.date()
    try:
        return timezone.localtime(value, zoneinfo.ZoneInfo(city.timezone)).date()
    except OverflowError:  # past datetime's limits: far outside the days day_check accepts
        return value.date()


class MealServiceReportSerializer(MealServiceSerializer):
    place = serializers.SerializerMethodField()
    local_time = serializers.SerializerMethodField()

    class Meta(MealServiceSerializer.Meta):
        fields = [*MealServiceSerializer.Meta.fields, "place", "local_time"]

    def get_place(self, service) -> str:
        return service.shelter.name if service.shelter_id else service.location

    def get_local_time(self, service) -> str:
        return f"{timezone.localtime(service.starts_at, self.context['tz']):%H:%M}"


class ServingInputSerializer(serializers.Serializer):
    portions = serializers.IntegerField(min_value=1, max_value=MAX_SERVING_PORTIONS)
    diet = serializers.DictField(
        child=serializers.IntegerField(min_value=0, max_value=MAX_SERVING_PORTIONS),
        required=False,
        default=dict,
        help_text=_('How many of the portions met each diet, e.g. {"halal": 4}.'),
    )

    def validate_diet(self, value):
        unknown = sorted(set(value) - set(Diet.values))
        if unknown:
            raise serializers.ValidationError(
                _("Unknown diet: %(unknown)s. Use: %(known)s.")
                % {"unknown": ", ".join(unknown), "known": ", ".join(Diet.values)}
            )
        return value


class ServingSerializer(serializers.ModelSerializer):
    """A recorded serving; `flags` and `meal_service` tell where the service stands after it."""

    flags = serializers.ListField(
        child=serializers.CharField(),
        source="service.flags",
        read_only=True,
        help_text=_("above_forecast, above_plan: served so far exceeds the forecast or plan."),
    )
    meal_service = MealServiceSerializer(source="service", read_only=True)

    class Meta:
        model = Serving
        fields = [
            "id",
            "service",
            "portions",
            "diet",
            "recorded_by",
            "recorded_at",
            "flags",
            "meal_service",
        ]
        read_only_fields = fields


@extend_schema_field(
    {"type": "string", "pattern": r"^\d{2}:\d{2}(:\d{2}(\.\d+)?)?$", "example": "08:00"}
)
class ClockTimeField(serializers.TimeField):
    """A time of day as "HH:MM" (seconds are dropped: meals are to the minute); "10" or an
    offset, which ISO 8601 would take, is refused rather than read as something else. In
    the OpenAPI document a string of that form: its `format: time` would ask for seconds
    and a zone."""

    def __init__(self, **kwargs):
        super().__init__(
            format="%H:%M", input_formats=["%H:%M", "%H:%M:%S", "%H:%M:%S.%f"], **kwargs
        )


class MealScheduleSerializer(ImmutableOnUpdateMixin, ModelSerializer):
    immutable_fields = ("shelter",)
    shelter = ScopedRelatedField()
    time = ClockTimeField(help_text=_("Every day at this time, in the city's time zone."))
    planned_portions = serializers.IntegerField(
        min_value=0, max_value=MAX_PLANNED_PORTIONS, required=False, allow_null=True
    )

    class Meta:
        model = MealSchedule
        fields = ["id", "shelter", *MEAL_SCHEDULE_EDITABLE_FIELDS, "created_at", "updated_at"]
        read_only_fields = ["id", "created_at", "updated_at"]
        validators: list[object] = []  # the service answers a taken slot with 409


class ReportQuerySerializer(QuerySerializer):
    city = serializers.UUIDField()
    date = DateField(validators=[day_check])


class ReportTotalsSerializer(serializers.Serializer):
    services = serializers.IntegerField()
    planned_portions = serializers.IntegerField()
    forecast_portions = serializers.IntegerField()
    served_portions = serializers.IntegerField()
    diet_forecast = serializers.DictField(child=serializers.IntegerField())
    served_diet = serializers.DictField(child=serializers.IntegerField())


class ReportSerializer(serializers.Serializer):
    city = serializers.UUIDField()
    city_name = serializers.CharField()
    date = serializers.DateField()
    timezone = serializers.CharField()
    services = MealServiceReportSerializer(many=True)
    totals = ReportTotalsSerializer()
