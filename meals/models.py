"""Meal services (a planned meal at a shelter or at a point without beds), the
servings recorded at them, and each shelter's daily schedule of meals."""

import uuid
from datetime import timedelta

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.reach import Reach
from config.ids import uuid7

MAX_SERVING_PORTIONS = 10_000
MAX_PLANNED_PORTIONS = 100_000
MAX_LOCATION = 200
# A service counts as current (its forecast follows the people there now) for this
# long after it starts; after that its forecast is as of its start.
SERVICE_LENGTH = timedelta(hours=2)
SCHEDULE_ACTOR = "schedule"

# What people edit of a meal service and of a schedule entry, in the order the API shows
# them: the services change these (`config.services.model_update`), the serializers and
# the admin build their field lists from them. Where it is (city, shelter) is chosen once.
MEAL_SERVICE_EDITABLE_FIELDS = ("location", "meal", "starts_at", "planned_portions")
MEAL_SCHEDULE_EDITABLE_FIELDS = ("meal", "time", "planned_portions")


class Meal(models.TextChoices):
    BREAKFAST = "breakfast", _("Breakfast")
    LUNCH = "lunch", _("Lunch")
    DINNER = "dinner", _("Dinner")
    HOT_MEAL = "hot_meal", _("Hot meal")
    SNACK = "snack", _("Snack")


def _planned_field():
    return models.PositiveIntegerField(
        _("planned portions"),
        null=True,
        blank=True,
        validators=[MaxValueValidator(MAX_PLANNED_PORTIONS)],
    )


PLANNED_IN_RANGE = Q(planned_portions__isnull=True) | Q(
    planned_portions__gte=0, planned_portions__lte=MAX_PLANNED_PORTIONS
)


class MealSchedule(models.Model):
    """One meal of a shelter's day: at `time` (whole minutes) in the city's time zone,
    every day.

    `meals.services.meal_services_create_for_day` turns each entry into that day's
    meal service, once (`MealScheduleDay` remembers the days it did).
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    shelter = models.ForeignKey(
        "shelters.Shelter",
        on_delete=models.CASCADE,
        related_name="meal_schedules",
        verbose_name=_("shelter"),
    )
    meal = models.CharField(_("meal"), max_length=10, choices=Meal.choices)
    time = models.TimeField(_("time (city time zone)"))
    planned_portions = _planned_field()
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    reach = Reach(city="shelter__city", shelter="shelter")

    class Meta:
        ordering = ["shelter", "time", "meal"]
        verbose_name = _("meal schedule entry")
        verbose_name_plural = _("meal schedules")
        constraints = [
            models.UniqueConstraint(
                fields=["shelter", "meal", "time"], name="meal_schedule_unique_slot"
            ),
            models.CheckConstraint(condition=PLANNED_IN_RANGE, name="meal_schedule_planned_range"),
        ]

    def __str__(self) -> str:
        return f"{self.shelter} {self.get_meal_display()} {self.time:%H:%M}"


class MealService(models.Model):
    """A meal given at a shelter or at a point without beds (`location`), never both.

    `starts_at` is in whole minutes; one meal per shelter, or per point of a city, and
    minute. One made from a schedule entry records the day it
    was made for (`schedule_day`), which stays when the service is moved. Its
    forecast is computed from the people at the shelter (`meals.selectors`), never
    stored.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    city = models.ForeignKey(
        "shelters.City",
        on_delete=models.PROTECT,
        related_name="meal_services",
        verbose_name=_("city"),
    )
    shelter = models.ForeignKey(
        "shelters.Shelter",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="meal_services",
        verbose_name=_("shelter"),
    )
    location = models.CharField(
        _("location"),
        max_length=MAX_LOCATION,
        blank=True,
        help_text=_("A point without beds, such as a border crossing or a station."),
    )
    meal = models.CharField(_("meal"), max_length=10, choices=Meal.choices)
    starts_at = models.DateTimeField(_("starts at"))
    planned_portions = _planned_field()
    schedule = models.ForeignKey(
        MealSchedule,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="services",
        verbose_name=_("from schedule"),
    )
    schedule_day = models.DateField(
        _("scheduled for day"),
        null=True,
        blank=True,
        help_text=_("The day (city time zone) the schedule entry made this service for."),
    )
    created_by = models.CharField(_("created by"), max_length=150)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    # In its city; at its shelter (a point has none: a manager does not reach it).
    reach = Reach(city="city", shelter="shelter")

    # Its figures, set by `meals.selectors.meal_services_add_figures` (never stored).
    forecast_basis: str
    forecast_portions: int | None
    diet_forecast: dict[str, int] | None
    served_portions: int
    served_diet: dict[str, int]
    flags: list[str]
    over_served: bool

    class Meta:
        ordering = ["starts_at", "id"]
        verbose_name = _("meal service")
        verbose_name_plural = _("meal services")
        indexes = [
            models.Index(fields=["city", "starts_at"]),
        ]
        constraints = [
            models.CheckConstraint(
                condition=(Q(shelter__isnull=False) & Q(location=""))
                | (Q(shelter__isnull=True) & ~Q(location="")),
                name="meal_service_shelter_or_location",
            ),
            models.CheckConstraint(condition=PLANNED_IN_RANGE, name="meal_service_planned_range"),
            models.UniqueConstraint(
                fields=["shelter", "meal", "starts_at"], name="meal_service_unique_shelter_slot"
            ),
            # A point's name as stored (`meals.services` trims it); the services also
            # refuse the same name in other capitals (`_check_slot_free`).
            models.UniqueConstraint(
                fields=["city", "location", "meal", "starts_at"],
                condition=Q(shelter__isnull=True),
                name="meal_service_unique_point_slot",
            ),
            models.UniqueConstraint(
                fields=["schedule", "schedule_day"],
                condition=Q(schedule__isnull=False),
                name="meal_service_unique_schedule_day",
            ),
        ]

    def __str__(self) -> str:
        place = self.shelter.name if self.shelter is not None else self.location
        return f"{place} {self.get_meal_display()} {self.starts_at:%Y-%m-%d %H:%M}"


class MealScheduleDay(models.Model):
    """A day (city time zone) for which a schedule entry's service was made.

    Kept when that service is moved or deleted, so the daily run never makes it again
    for that day.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    schedule = models.ForeignKey(
        MealSchedule,
        on_delete=models.CASCADE,
        related_name="days_made",
        verbose_name=_("schedule entry"),
    )
    day = models.DateField(_("day"))
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    class Meta:
        ordering = ["day", "schedule"]
        verbose_name = _("day made from a schedule")
        verbose_name_plural = _("days made from schedules")
        constraints = [
            models.UniqueConstraint(fields=["schedule", "day"], name="meal_schedule_day_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.schedule_id} {self.day:%Y-%m-%d}"


class Serving(models.Model):
    """Portions given at a service; `diet` counts how many of them met a diet."""

    id = models.UUIDField(primary_key=True, default=uuid7, editable=False)
    service = models.ForeignKey(
        MealService,
        on_delete=models.PROTECT,
        related_name="servings",
        verbose_name=_("meal service"),
    )
    portions = models.PositiveIntegerField(
        _("portions"),
        validators=[MinValueValidator(1), MaxValueValidator(MAX_SERVING_PORTIONS)],
    )
    diet = models.JSONField(_("portions by diet"), default=dict, blank=True)
    recorded_by = models.CharField(_("recorded by"), max_length=150)
    recorded_at = models.DateTimeField(_("recorded at"), default=timezone.now)

    class Meta:
        ordering = ["recorded_at", "id"]
        verbose_name = _("serving")
        verbose_name_plural = _("servings")
        constraints = [
            models.CheckConstraint(
                condition=Q(portions__gte=1, portions__lte=MAX_SERVING_PORTIONS),
                name="serving_portions_range",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.portions} @ {self.service_id}"
