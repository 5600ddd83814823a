"""Reads of meal services (callers scope them with `Access.scope`) and the figures of
a service: forecast (from the people at its shelter) and served."""

import operator
import uuid
import zoneinfo
from collections import Counter, defaultdict
from collections.abc import Iterable
from datetime import date, datetime, time, timedelta
from functools import reduce

from django.core.exceptions import ValidationError
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from arrivals.models import ACTIVE_PLACEMENT, Diet, Placement
from shelters.models import City

from .models import SERVICE_LENGTH, MealService, Serving

# Days the API accepts: far enough either way, near enough that no time zone
# arithmetic overflows.
FIRST_DAY = date(2000, 1, 1)
LAST_DAY = date(2099, 12, 31)


class Basis:
    """Where a service's forecast comes from (`forecast_basis`)."""

    NOW = "now"  # the people held and checked in now (a future or current service)
    AT_START = "at_start"  # the people there when it started (a past service)
    NONE_NO_BEDS = "none_no_beds"  # a point without beds: no forecast


def day_check(day: date) -> None:
    if not FIRST_DAY <= day <= LAST_DAY:
        raise ValidationError(
            _("Give a date between %(first)s and %(last)s.")
            % {"first": FIRST_DAY.isoformat(), "last": LAST_DAY.isoformat()}
        )


def day_bounds(*, day: date, tz_name: str) -> tuple[datetime, datetime]:
    """The instants a calendar day of a time zone starts and ends (DST-aware)."""
    tz = zoneinfo.ZoneInfo(tz_name)
    start = datetime.combine(day, time(0), tzinfo=tz)
    end = datetime.combine(day + timedelta(days=1), time(0), tzinfo=tz)
    return start, end


def meal_services_on_day(queryset: QuerySet[MealService], *, day: date) -> QuerySet[MealService]:
    """The services that start on `day` in their own city's time zone (one query for the
    time zones, however many cities)."""
    day_check(day)
    zones = (
        City.objects.filter(id__in=queryset.values("city_id"))
        .values_list("timezone", flat=True)
        .distinct()
        .order_by()
    )
    on_day = Q(pk__in=[])
    for tz_name in zones:
        start, end = day_bounds(day=day, tz_name=tz_name)
        on_day |= Q(city__timezone=tz_name, starts_at__gte=start, starts_at__lt=end)
    return queryset.filter(on_day)


def meal_services_in_kitchen(
    queryset: QuerySet[MealService], *, city: City, now: datetime
) -> QuerySet[MealService]:
    """The services of one city (`queryset` holds only its) that its kitchens' pages show:
    those that start today in its time zone, and those of the day before still being
    served (started less than `SERVICE_LENGTH` ago, current as `forecast_moment` counts
    them), so a 23:30 meal stays on the page after midnight."""
    today = timezone.localtime(now, zoneinfo.ZoneInfo(city.timezone)).date()
    start, end = day_bounds(day=today, tz_name=city.timezone)
    return queryset.filter(
        Q(starts_at__gte=start) | Q(starts_at__gt=now - SERVICE_LENGTH), starts_at__lt=end
    )


def forecast_moment(service: MealService, *, now: datetime) -> tuple[str, datetime | None]:
    """(basis, as of when) of a service's forecast; when is None for "now"."""
    if service.shelter_id is None:
        return Basis.NONE_NO_BEDS, None
    if service.starts_at + SERVICE_LENGTH > now:
        return Basis.NOW, None
    return Basis.AT_START, service.starts_at


def _present(
    *, status: str, created_at: datetime, ended_at: datetime | None, at: datetime | None
) -> bool:
    """Whether a placement holds or checks in its party's beds: now (`at` None), by
    its status; at a past moment, by its times."""
    if at is None:
        return status in ACTIVE_PLACEMENT
    if created_at > at:
        return False
    if ended_at is None:
        return status in ACTIVE_PLACEMENT
    return ended_at > at


def _diets(counter: Counter[str]) -> dict[str, int]:
    return {diet: counter.get(diet, 0) for diet in Diet.values}


# A member of a party placed at a shelter: (status, created_at, ended_at, diet) of the placement
# and the member.
_Present = tuple[str, datetime, datetime | None, list[str] | None]


def _people_at(
    shelter_ids: set[uuid.UUID], *, now: bool, past: list[datetime]
) -> dict[uuid.UUID, list[_Present]]:
    """The members of the parties placed at the shelters now (if `now`) or at any
    moment between the `past` ones: {shelter id: [(status, created_at, ended_at, diet)]},
    one query."""
    who = [Q(status__in=ACTIVE_PLACEMENT)] if now else []
    if past:
        who.append(
            Q(created_at__lte=max(past))
            & (Q(ended_at__gt=min(past)) | Q(ended_at__isnull=True, status__in=ACTIVE_PLACEMENT))
        )
    people: defaultdict[uuid.UUID, list[_Present]] = defaultdict(list)
    if not shelter_ids or not who:
        return people
    rows = (
        Placement.objects.filter(reduce(operator.or_, who), space__shelter_id__in=shelter_ids)
        .values_list(
            "space__shelter_id",
            "status",
            "created_at",
            "ended_at",
            "party__members__id",
            "party__members__diet",
        )
        .order_by()
    )
    for shelter_id, status, created_at, ended_at, member_id, diet in rows:
        if member_id is not None:  # one row per member of the placed party
            people[shelter_id].append((status, created_at, ended_at, diet))
    return people


def meal_services_add_figures(
    services: Iterable[MealService], *, now: datetime | None = None
) -> list[MealService]:
    """Set on each service its forecast and what was served, in two queries for any
    number of services:

    - `forecast_portions`, `diet_forecast`, `forecast_basis`: the people held and
      checked in at its shelter (each member one portion, each of their diets
      counted), now for a service not yet over (`SERVICE_LENGTH` after its start),
      as of its start for one in the past; None at a point without beds.
    - `served_portions`, `served_diet`.
    - `flags`: `above_forecast` and `above_plan` where served exceeds them;
      `over_served` when served exceeds every figure known (forecast and plan).
    """
    services = list(services)
    now = now or timezone.now()
    moments = {service.id: forecast_moment(service, now=now) for service in services}
    people = _people_at(
        {service.shelter_id for service in services if service.shelter_id},
        now=any(basis == Basis.NOW for basis, _at in moments.values()),
        past=[at for basis, at in moments.values() if basis == Basis.AT_START and at is not None],
    )
    served_portions: defaultdict[uuid.UUID, int] = defaultdict(int)
    served_diets: defaultdict[uuid.UUID, Counter[str]] = defaultdict(Counter)
    for service_id, portions, diet in (
        Serving.objects.filter(service_id__in=[s.id for s in services])
        .values_list("service_id", "portions", "diet")
        .order_by()
    ):
        served_portions[service_id] += portions
        served_diets[service_id].update(diet or {})
    for service in services:
        basis, at = moments[service.id]
        service.forecast_basis = basis
        service.forecast_portions = service.diet_forecast = None
        if basis != Basis.NONE_NO_BEDS:
            assert service.shelter_id is not None  # only a point (no shelter) has no forecast
            portions, diets = 0, Counter[str]()
            for status, created_at, ended_at, diet in people[service.shelter_id]:
                if _present(status=status, created_at=created_at, ended_at=ended_at, at=at):
                    portions += 1
                    diets.update(diet or ())
            service.forecast_portions, service.diet_forecast = portions, _diets(diets)
        service.served_portions = served_portions[service.id]
        service.served_diet = _diets(served_diets[service.id])
        service.flags = serving_flags(service)
        bounds = [n for n in (service.forecast_portions, service.planned_portions) if n is not None]
        service.over_served = bool(bounds) and service.served_portions > max(bounds)
    return services


def serving_flags(service: MealService) -> list[str]:
    flags = []
    if (
        service.forecast_portions is not None
        and service.served_portions > service.forecast_portions
    ):
        flags.append("above_forecast")
    if service.planned_portions is not None and service.served_portions > service.planned_portions:
        flags.append("above_plan")
    return flags


def meals_report(*, city: City, day: date) -> dict[str, object]:
    """A city's services of one day (its time zone) with planned, forecast and served
    figures and diets, and the day's totals."""
    services = meal_services_add_figures(
        meal_services_on_day(
            MealService.objects.filter(city=city).select_related("shelter"), day=day
        ).order_by("starts_at", "shelter__name", "location", "id")
    )
    diet_forecast: Counter[str] = Counter()
    served_diet: Counter[str] = Counter()
    for service in services:
        diet_forecast.update(service.diet_forecast or {})
        served_diet.update(service.served_diet)
    totals = {
        "services": len(services),
        "planned_portions": sum(service.planned_portions or 0 for service in services),
        "forecast_portions": sum(service.forecast_portions or 0 for service in services),
        "served_portions": sum(service.served_portions for service in services),
        "diet_forecast": _diets(diet_forecast),
        "served_diet": _diets(served_diet),
    }
    return {
        "city": city.id,
        "city_name": city.name,
        "date": day,
        "timezone": city.timezone,
        "services": services,
        "totals": totals,
    }
