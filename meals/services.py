"""Writes of meal services, servings and schedules. Every write function is atomic.

Times are kept in whole minutes: a service's `starts_at` and a schedule entry's
`time` lose their seconds here, before the one-meal-per-slot checks, so "12:00" and
"12:00:30" are the same slot whoever writes them.

Lock order: schedule entries' rows, then a meal service's row (`meal_services_lock`),
which is the last lock taken; meals never locks spaces or parties.
"""

import zoneinfo
from collections.abc import Callable, Iterable
from datetime import date, datetime, time, timedelta
from typing import Any, TypeVar

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from accounts.access import Access
from config.exceptions import Conflict
from config.services import model_update
from shelters.models import City, Shelter

from .models import (
    MEAL_SCHEDULE_EDITABLE_FIELDS,
    MEAL_SERVICE_EDITABLE_FIELDS,
    SCHEDULE_ACTOR,
    MealSchedule,
    MealScheduleDay,
    MealService,
    Serving,
)

Minutes = TypeVar("Minutes", datetime, time)


def to_minute(value: Minutes) -> Minutes:
    """The value without its seconds: meals are planned to the minute."""
    return value.replace(second=0, microsecond=0)


# `meal_service_update`'s plan as the caller saw it, when the caller does not say.
UNSEEN = object()


def meal_services_lock(*, service_ids: Iterable) -> dict:
    """Lock the services' rows (SELECT ... FOR UPDATE) in primary-key order.

    Held by every change of a service and by every serving recorded at it, so a
    service is never deleted while a serving is being recorded.
    """
    ids = sorted(set(service_ids), key=str)
    services = MealService.objects.select_for_update().filter(id__in=ids).order_by("id")
    return {service.id: service for service in services}


def _service_locked(service_id) -> MealService:
    service = next(iter(meal_services_lock(service_ids=[service_id]).values()), None)
    if service is None:  # deleted since the caller looked it up
        raise MealService.DoesNotExist(service_id)
    return service


def _check_place(*, shelter: Shelter | None, location: str) -> None:
    if shelter is not None and location:
        raise ValidationError(
            {"location": _("A meal service is at a shelter or at a location, not both.")}
        )
    if shelter is None and not location:
        raise ValidationError(
            {"location": _("Give a shelter, or a location such as a station or a crossing.")}
        )


def _check_may_plan(*, access: Access, city: City, shelter: Shelter | None) -> None:
    """At a shelter, the caller must be allowed `mealservice.add` there (a manager at
    their shelters, a coordinator in their cities); at a point, `mealservice.add_at_point`
    in its city (coordinators only). Else a ValidationError on the place's field."""
    if shelter is not None:
        allowed, field = access.allows("mealservice.add", shelter), "shelter"
    else:
        allowed, field = access.allows("mealservice.add_at_point", city), "city"
    if not allowed:
        raise ValidationError({field: _("You may not plan meals at this place.")})


def _check_slot_free(*, service: MealService, data: dict | None = None) -> None:
    """The service's place has no other `meal` at `starts_at`: the service's, or those
    `data` sets. A shelter is its id; a point is its city and its name, trimmed (as the
    services store it) and compared without regard to case ("КПП Сырым" is "кпп сырым")."""
    slot = {
        name: (data or {}).get(name, getattr(service, name))
        for name in ("meal", "starts_at", "location")
    }
    others = MealService.objects.filter(meal=slot["meal"], starts_at=slot["starts_at"])
    if service.shelter_id is not None:
        others, detail = (
            others.filter(shelter_id=service.shelter_id),
            _("This shelter already has this meal at this time."),
        )
    else:
        others, detail = (
            others.filter(
                city_id=service.city_id, shelter__isnull=True, location__iexact=slot["location"]
            ),
            _("This point already has this meal at this time."),
        )
    if others.exclude(id=service.id).exists():
        raise Conflict("meal_service_exists", detail)


@transaction.atomic
def meal_service_create(
    *,
    meal: str,
    starts_at: datetime,
    access: Access,
    city: City | None = None,
    shelter: Shelter | None = None,
    location: str = "",
    planned_portions: int | None = None,
) -> MealService:
    """Plan a meal at a shelter (its city is the shelter's) or at a point in a city, as
    the caller of `access` may (`_check_may_plan`), recorded as planned by them.

    The same meal at the same time at one shelter, or at one point of the city (its name
    compared trimmed, without regard to case), raises Conflict("meal_service_exists").
    """
    location = location.strip()
    starts_at = to_minute(starts_at)
    _check_place(shelter=shelter, location=location)
    if shelter is not None:
        if city is not None and city.id != shelter.city_id:
            raise ValidationError({"city": _("The shelter is in another city.")})
        city = shelter.city
    elif city is None:
        raise ValidationError({"city": _("Give the city of the location.")})
    _check_may_plan(access=access, city=city, shelter=shelter)
    service = MealService(
        city=city,
        shelter=shelter,
        location=location,
        meal=meal,
        starts_at=starts_at,
        planned_portions=planned_portions,
        created_by=access.username,
    )
    _check_slot_free(service=service)
    try:
        with transaction.atomic():
            service.save(force_insert=True)
    except IntegrityError:
        # The same slot taken at the same moment, past the check (the database's
        # constraint, once the other writer committed): the check's own Conflict.
        _check_slot_free(service=service)
        raise
    return service


@transaction.atomic
def meal_service_update(*, service_id, data: dict, planned_seen: Any = UNSEEN) -> MealService:
    """Change a service's place text, meal, time or plan, under its row lock.

    A service made from a schedule keeps the day it was made for (`schedule_day`)
    wherever it is moved, so the schedule does not make that day's service again.
    `planned_seen`, when given, is the plan the caller's page showed: if someone changed
    it since, Conflict `meal_service_changed` (the page shows the plan as it is now).
    """
    service = _service_locked(service_id)
    if planned_seen is not UNSEEN and planned_seen != service.planned_portions:
        raise Conflict(
            "meal_service_changed",
            _("Someone else changed the plan meanwhile: check it and save again."),
        )
    cleaners: dict[str, Callable[[Any], Any]] = {"location": str.strip, "starts_at": to_minute}
    data = {name: cleaners.get(name, lambda v: v)(value) for name, value in data.items()}
    _check_place(shelter=service.shelter, location=data.get("location", service.location))
    _check_slot_free(service=service, data=data)
    # The checks above are the model's rules, in the API's words: no full_clean.
    service, _changed = model_update(
        service, fields=MEAL_SERVICE_EDITABLE_FIELDS, data=data, clean=False
    )
    return service


@transaction.atomic
def meal_service_delete(*, service_id) -> None:
    """Delete a service nobody was served at; one with servings raises Conflict."""
    service = _service_locked(service_id)
    if service.servings.exists():
        raise Conflict(
            "meal_service_has_servings",
            _("Servings were recorded at this meal service; it cannot be deleted."),
        )
    service.delete()


@transaction.atomic
def serving_record(*, service_id, portions: int, diet: dict, actor: str) -> Serving:
    """Record portions given at a service, under the service's row lock.

    No diet may count more portions than were given. Serving more than the
    forecast or the plan is allowed (`meals.selectors` flags it).
    """
    service = _service_locked(service_id)
    too_many = sorted(name for name, count in diet.items() if count > portions)
    if too_many:
        raise ValidationError(
            {
                "diet": _("A diet cannot count more portions than were served: %(diets)s.")
                % {"diets": ", ".join(too_many)}
            }
        )
    return Serving.objects.create(
        service=service,
        portions=portions,
        diet={name: count for name, count in sorted(diet.items()) if count},
        recorded_by=actor,
        recorded_at=timezone.now(),
    )


# How long whoever recorded a serving may take it back (a mis-tap, a number typed
# twice); after it the count stands, and only staff who may change the service correct it.
SERVING_TAKE_BACK = timedelta(minutes=15)


def serving_may_take_back(*, serving: Serving, access: Access) -> bool:
    """Whether `access` may take `serving` back: who recorded it, within SERVING_TAKE_BACK;
    staff who may change its service (`mealservice.change`), at any time. The caller has
    found the serving within the caller's reach (`mealservice.servings`)."""
    recently = timezone.now() - serving.recorded_at <= SERVING_TAKE_BACK
    if serving.recorded_by == access.username and recently:
        return True
    return access.allows("mealservice.change", serving.service)


@transaction.atomic
def serving_take_back(*, serving_id, access: Access) -> Serving:
    """Delete a serving recorded by mistake, under its service's row lock; the service's
    counts are the sum of what remains. Raises Serving.DoesNotExist if it is gone (taken
    back already), Conflict `serving_final` if `access` may no longer take it back."""
    service_id = Serving.objects.filter(id=serving_id).values_list("service_id", flat=True).first()
    if service_id is None:
        raise Serving.DoesNotExist(serving_id)
    _service_locked(service_id)
    serving = Serving.objects.select_related("service").filter(id=serving_id).first()
    if serving is None:  # taken back while this waited for the lock
        raise Serving.DoesNotExist(serving_id)
    if not serving_may_take_back(serving=serving, access=access):
        minutes = int(SERVING_TAKE_BACK.total_seconds() // 60)
        raise Conflict(
            "serving_final",
            ngettext(
                "Only who recorded a serving may take it back, within %(minutes)d minute; "
                "a shelter manager or coordinator can correct it.",
                "Only who recorded a serving may take it back, within %(minutes)d minutes; "
                "a shelter manager or coordinator can correct it.",
                minutes,
            )
            % {"minutes": minutes},
        )
    serving.delete()
    return serving


def _check_schedule_slot_free(*, entry: MealSchedule, data: dict | None = None) -> None:
    """The shelter's schedule has no other `meal` at `time`: the entry's, or those `data` sets."""
    slot = {name: (data or {}).get(name, getattr(entry, name)) for name in ("meal", "time")}
    if (
        MealSchedule.objects.filter(shelter_id=entry.shelter_id, **slot)
        .exclude(id=entry.id)
        .exists()
    ):
        raise Conflict(
            "meal_schedule_exists", _("This shelter's schedule already has this meal at this time.")
        )


@transaction.atomic
def meal_schedule_create(
    *, shelter: Shelter, meal: str, time, planned_portions: int | None = None
) -> MealSchedule:
    """Add a daily meal to a shelter's schedule; today's service follows at the next
    run of `meal_services_create_for_day` if its time has not come yet (tomorrow's, if it
    is within `SCHEDULE_LEAD`)."""
    entry = MealSchedule(
        shelter=shelter, meal=meal, time=to_minute(time), planned_portions=planned_portions
    )
    _check_schedule_slot_free(entry=entry)
    entry.save(force_insert=True)
    return entry


@transaction.atomic
def meal_schedule_update(*, schedule_id, data: dict) -> MealSchedule:
    """Change a daily meal. It applies from the next day the entry has not made its
    service for yet: a service already made (today's, or tomorrow's within
    `SCHEDULE_LEAD` of midnight) stays as it is (edit it directly)."""
    entry = MealSchedule.objects.select_for_update().get(id=schedule_id)
    data = {name: to_minute(value) if name == "time" else value for name, value in data.items()}
    _check_schedule_slot_free(entry=entry, data=data)
    entry, _changed = model_update(
        entry, fields=MEAL_SCHEDULE_EDITABLE_FIELDS, data=data, clean=False
    )
    return entry


@transaction.atomic
def meal_schedule_delete(*, schedule_id) -> None:
    """Remove a daily meal; the services it already made stay."""
    MealSchedule.objects.filter(id=schedule_id).delete()


# How far into tomorrow a run of `meal_services_create_for_day` looks: well over the
# timer's 30 minutes (`CELERY_BEAT_SCHEDULE`), which is not aligned to the clock, so the
# services of the first minutes after midnight are made by a run before it.
SCHEDULE_LEAD = timedelta(hours=2)


@transaction.atomic
def meal_services_create_for_day(*, day: date | None = None, now: datetime | None = None) -> int:
    """Make each shelter's meal services from its schedule, once per entry and day.

    Without `day`, the services that have not started yet and start today (in each
    city's time zone) or within `SCHEDULE_LEAD`: the day's meals are made from the
    first run after midnight, and a 00:15 meal by a run before midnight (the 23:50 one),
    so none falls between two runs. With `day`, that day's services that have not
    started yet.

    An entry makes its service of a day at most once: the day is recorded
    (`MealScheduleDay`), so a service of that day that was deleted or moved to another
    time or day is not made again. An entry whose time on a day has come (the service
    would already have started) is skipped for that day and not recorded: a schedule
    entry added at 15:00 for 08:00 starts tomorrow.

    Locks every schedule entry's row (SELECT ... FOR UPDATE, in primary-key order), so
    two runs at once take turns and the second sees the days the first recorded; the
    insert also ignores rows that clash with the one-service-per-(entry, day) or
    one-service-per-(shelter, meal, time) constraints (ON CONFLICT DO NOTHING), so a
    service planned by hand at the scheduled time is not doubled. Returns how many
    services were missing when looked for.
    """
    now = now or timezone.now()
    entries = list(
        MealSchedule.objects.select_for_update(of=("self",))
        .select_related("shelter__city")
        .order_by("id")
    )
    if not entries:
        return 0
    # Each city's days to look at, in its time zone, and until when on the last of them.
    days: dict = {}
    zones: dict = {}
    for entry in entries:
        city = entry.shelter.city
        if city.id not in days:
            zones[city.id] = zoneinfo.ZoneInfo(city.timezone)
            today = timezone.localtime(now, zones[city.id]).date()
            days[city.id] = [day] if day else [today, today + timedelta(days=1)]
    until = None if day else now + SCHEDULE_LEAD
    made = set(
        MealScheduleDay.objects.filter(day__in={d for of_city in days.values() for d in of_city})
        .values_list("schedule_id", "day")
        .order_by()
    )
    missing: list[MealService] = []
    days_made: list[MealScheduleDay] = []
    for entry in entries:
        city_id = entry.shelter.city_id
        for i, service_day in enumerate(days[city_id]):
            starts_at = datetime.combine(service_day, entry.time, tzinfo=zones[city_id])
            if (
                (entry.id, service_day) in made
                or starts_at <= now
                or (i > 0 and until is not None and starts_at > until)
            ):
                continue
            missing.append(
                MealService(
                    city_id=city_id,
                    shelter_id=entry.shelter_id,
                    meal=entry.meal,
                    starts_at=starts_at,
                    planned_portions=entry.planned_portions,
                    schedule=entry,
                    schedule_day=service_day,
                    created_by=SCHEDULE_ACTOR,
                    created_at=now,
                )
            )
            days_made.append(MealScheduleDay(schedule=entry, day=service_day, created_at=now))
    MealScheduleDay.objects.bulk_create(
        days_made,
        ignore_conflicts=True,
        batch_size=500,
    )
    MealService.objects.bulk_create(missing, ignore_conflicts=True, batch_size=500)
    return len(missing)
