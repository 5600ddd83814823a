"""The kitchens' pages: today's meal services of a shelter or a point (planned, forecast
with diets, served), servings recorded with big buttons, a shelter's daily schedule, and a
city's report of the day with its CSV.

Thin over the same services and selectors as the API (`meals.services.serving_record`,
`meal_schedule_create` / `_update` / `_delete`; `meals.selectors.meal_services_add_figures`,
`meals_report`). Who may do what is the rules table's (`accounts.rules`): everyone of a city
sees its meals and records servings (`mealservice.view`, `mealservice.servings`), shelter
staff edit their shelters' schedules (`mealschedule.*`), coordinators read the report
(`mealsreport.view`).

With JavaScript, a serving goes through the phone's outbox (static/berth/app.js,
static/berth/kitchen.js) to `POST /api/v1/meal-services/{id}/servings/` with an
Idempotency-Key made on the phone, kept while offline and sent once. Without it, the
buttons post here with a key the page made, through the same idempotency store.
"""

import uuid
import zoneinfo
from datetime import date, datetime
from typing import Any, cast

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError
from django.http import Http404, HttpResponseRedirect
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.access import Access, access_for
from arrivals.models import Diet
from config.error_summary import error_summary
from config.exceptions import Conflict
from idempotency.services import InvalidKey, KeyReused, idempotent
from shelters.models import City, Shelter

from . import selectors, services
from .forms import (
    QUICK_PORTIONS,
    MealTimeForm,
    PlanForm,
    ReportForm,
    ServingForm,
)
from .models import MAX_LOCATION, MealSchedule, MealService, Serving


def _access(request, action: str) -> Access:
    access = access_for(request)
    if not access.allows(action):
        raise PermissionDenied
    return access


def _city_now(city: City) -> datetime:
    return timezone.localtime(timezone.now(), zoneinfo.ZoneInfo(city.timezone))


def _zone(city) -> str:
    """A city's time zone as people read it: "Uralsk (UTC+05:00)", not "Asia/Oral"."""
    offset = _city_now(city).strftime("%z")
    return f"{city.name} (UTC{offset[:3]}:{offset[3:]})"


def _today(city: City) -> date:
    return _city_now(city).date()


def _may_add_meal(access: Access, *, city: City, shelter: Shelter | None) -> bool:
    """As `meals.services.meal_service_create` decides: at a shelter its staff and the
    city's coordinators, at a point the city's coordinators."""
    if shelter is not None:
        return access.allows("mealservice.add", shelter)
    return access.allows("mealservice.add_at_point", city)


def _diets_shown(counts: dict[str, int] | None) -> list[str]:
    labels = dict(Diet.choices)
    return [
        _("%(diet)s: %(count)s") % {"diet": labels[name], "count": count}
        for name, count in (counts or {}).items()
        if count and name in labels
    ]


def _point_url(city_id, location: str) -> str:
    return f"{reverse('web-kitchen-point', args=[city_id])}?{urlencode({'location': location})}"


# --- The kitchens' start page ---------------------------------------------------------------


@require_GET
@login_required
@never_cache
def kitchen(request):
    """Where meals are given today: each shelter and point of the caller's reach that has a
    meal service today (or one of the day before still being served), and the shelters
    whose schedule the caller may edit."""
    access = _access(request, "mealservice.view")
    cities = list(access.scope(City.objects.all()).order_by("name"))
    places: list[dict] = []
    now = timezone.now()
    for city in cities:
        today = selectors.meal_services_in_kitchen(
            access.scope(MealService.objects.filter(city=city), "mealservice.view"),
            city=city,
            now=now,
        )
        seen = set()
        for service in today.select_related("shelter").order_by("starts_at"):
            place = (service.shelter_id, service.location)
            if place in seen:
                continue
            seen.add(place)
            if service.shelter_id:
                url = reverse("web-kitchen-shelter", args=[service.shelter_id])
                assert service.shelter is not None  # a service has a shelter or a location
                name = service.shelter.name
            else:
                url, name = _point_url(city.id, service.location), service.location
            places.append({"name": name, "url": url, "city": city, "point": not service.shelter_id})
    scheduled = (
        access.scope(Shelter.objects.all(), "mealschedule.change").select_related("city")
        if access.allows("mealschedule.change")
        else Shelter.objects.none()
    )
    return render(
        request,
        "meals/kitchen.html",
        {
            "access": access,
            "places": places,
            "schedule_shelters": scheduled.order_by("city__name", "name")[:SHELTERS_LISTED],
            "report_cities": cities if access.allows("mealsreport.view") else [],
            "multiple_cities": len(cities) > 1,
        },
    )


SHELTERS_LISTED = 200


# --- Today's services of a shelter or a point ---------------------------------------------


def _place_page(request, access, *, city, shelter=None, location="", status=200, bound=None):
    """Today's services of a shelter or a point, and those of the day before still being
    served (`selectors.meal_services_in_kitchen`). `bound` is a form sent back with its
    errors, by what it is: ("serve", service id), ("plan", service id) or ("add", None)."""
    bound = bound or {}
    now = _city_now(city)
    today = now.date()
    services_today = selectors.meal_services_add_figures(
        selectors.meal_services_in_kitchen(
            access.scope(
                MealService.objects.filter(city=city, shelter=shelter, location=location),
                "mealservice.view",
            ),
            city=city,
            now=now,
        ).order_by("starts_at", "meal", "id"),
        now=now,
    )
    # The caller's last serving at each service, while they may still take it back.
    last_serving: dict = {}
    for serving in Serving.objects.filter(
        service__in=services_today,
        recorded_by=access.username,
        recorded_at__gt=now - services.SERVING_TAKE_BACK,
    ).order_by("-recorded_at", "-id"):
        last_serving.setdefault(serving.service_id, serving)
    rows = []
    for service in services_today:
        rows.append(
            {
                "service": service,
                "form": bound.get(("serve", service.id))
                or ServingForm(initial={"key": uuid.uuid4().hex}),
                "plan_form": bound.get(("plan", service.id))
                or PlanForm(
                    initial={
                        "planned_portions": service.planned_portions,
                        "seen": service.planned_portions,
                    },
                    auto_id=f"plan_{service.id.hex}_%s",
                ),
                "may_plan": access.allows("mealservice.change", service),
                "diet_forecast": _diets_shown(service.diet_forecast),
                "served_diet": _diets_shown(service.served_diet),
                "api_url": reverse("meal-service-servings", args=[service.id]),
                "last_serving": last_serving.get(service.id),
                # A meal of the day before still being served: its day is shown too.
                "earlier_day": timezone.localtime(service.starts_at, now.tzinfo).date() < today,
            }
        )
    add_form = bound.get(("add", None)) or MealTimeForm(
        initial={"time": _city_now(city).time()}, auto_id="add_%s"
    )
    return render(
        request,
        "meals/place.html",
        {
            "access": access,
            "city": city,
            "shelter": shelter,
            "location": location,
            "rows": rows,
            "quick": QUICK_PORTIONS,
            "today": today,
            "here": request.get_full_path(),
            "may_schedule": shelter is not None and access.allows("mealschedule.change", shelter),
            "may_report": access.allows("mealsreport.view", city),
            "may_add": _may_add_meal(access, city=city, shelter=shelter),
            "add_form": add_form,
            "error_summary": error_summary([(form, "") for form in bound.values()]),
        },
        status=status,
    )


def _service_url(service: MealService) -> str:
    """Its place's page, at the service's card."""
    if service.shelter_id:
        place = reverse("web-kitchen-shelter", args=[service.shelter_id])
    else:
        place = _point_url(service.city_id, service.location)
    return f"{place}#service-{service.id}"


def _service_page(request, access, service: MealService, *, status: int, bound: dict):
    """Its place's page again, with `bound` (see `_place_page`): a form sent back."""
    return _place_page(
        request,
        access,
        city=service.city,
        shelter=service.shelter,
        location=service.location,
        status=status,
        bound=bound,
    )


@require_GET
@login_required
@never_cache
def kitchen_shelter(request, shelter_id):
    access = _access(request, "mealservice.view")
    shelter = get_object_or_404(
        access.scope(Shelter.objects.select_related("city"), "mealservice.view"), id=shelter_id
    )
    return _place_page(request, access, city=shelter.city, shelter=shelter)


@require_GET
@login_required
@never_cache
def kitchen_point(request, city_id):
    access = _access(request, "mealservice.view")
    city = get_object_or_404(access.scope(City.objects.all()), id=city_id)
    location = request.GET.get("location", "").strip()[:MAX_LOCATION]
    if not location or not location.isprintable():  # no point has control characters
        raise Http404
    return _place_page(request, access, city=city, location=location)


@require_POST
@login_required
def serving_add(request, service_id):
    """Record portions without JavaScript: once per key (the idempotency store, as the API)."""
    access = _access(request, "mealservice.servings")
    service = get_object_or_404(
        access.scope(MealService.objects.select_related("city", "shelter"), "mealservice.servings"),
        id=service_id,
    )
    form = ServingForm(request.POST, auto_id=f"serve_{service.id.hex}_%s")

    def again(status, *, new_key=False):
        if new_key:
            # What was sent under the old key was refused or answered: the next tap is
            # a new submission, with what was typed kept.
            data = request.POST.copy()
            data["key"] = uuid.uuid4().hex
            form.data = data  # its errors stay; the page shows this data
        return _service_page(
            request, access, service, status=status, bound={("serve", service.id): form}
        )

    if not form.is_valid():
        return again(400, new_key="key" in form.errors)
    portions = form.cleaned_data["count"]
    payload = {"portions": portions, "diet": {}}

    def work():
        serving = services.serving_record(
            service_id=service.id, portions=portions, diet={}, actor=access.username
        )
        return 201, {"id": str(serving.id), "portions": serving.portions}

    try:
        answer = idempotent(
            owner=f"user:{access.user_id}",
            scope=f"meals.servings:{service.id}",
            key=form.cleaned_data["key"],
            payload=payload,
            work=work,
        )
    except (KeyReused, InvalidKey):
        form.add_error(None, _("This form was already sent with another number. Try again."))
        return again(409, new_key=True)
    except (Conflict, DjangoValidationError, IntegrityError, MealService.DoesNotExist):
        form.add_error(None, _("The serving could not be recorded. Reload the page."))
        return again(409, new_key=True)
    if not answer.replayed:
        messages.success(
            request,
            ngettext(
                "%(meal)s: %(portions)s portion recorded.",
                "%(meal)s: %(portions)s portions recorded.",
                portions,
            )
            % {"meal": service.get_meal_display(), "portions": portions},
        )
    return HttpResponseRedirect(_service_url(service))


@require_POST
@login_required
def serving_take_back(request, service_id, serving_id):
    """Take back a serving tapped by mistake (`meals.services.serving_take_back`): a second
    tap, or one on a serving taken back already, says so instead of failing."""
    access = _access(request, "mealservice.serving_take_back")
    service = get_object_or_404(
        access.scope(MealService.objects.select_related("city", "shelter"), "mealservice.servings"),
        id=service_id,
    )
    here = _service_url(service)
    serving = Serving.objects.filter(service=service, id=serving_id).first()
    if serving is None:
        messages.info(request, _("This serving was taken back already."))
        return HttpResponseRedirect(here)
    try:
        services.serving_take_back(serving_id=serving.id, access=access)
    except Serving.DoesNotExist:
        messages.info(request, _("This serving was taken back already."))
    except Conflict as error:
        messages.error(request, error.detail)
    else:
        messages.success(
            request,
            ngettext(
                "%(meal)s: %(portions)s portion taken back.",
                "%(meal)s: %(portions)s portions taken back.",
                serving.portions,
            )
            % {"meal": service.get_meal_display(), "portions": serving.portions},
        )
    return HttpResponseRedirect(here)


@require_POST
@login_required
def service_plan(request, service_id):
    """Change today's planned portions of a service: a number, or the forecast as it is
    (the people held or checked in at the shelter)."""
    access = _access(request, "mealservice.change")
    found = selectors.meal_services_add_figures(
        access.scope(
            MealService.objects.select_related("city", "shelter"), "mealservice.change"
        ).filter(id=service_id)
    )
    if not found:
        raise Http404
    service = found[0]
    data = request.POST.copy()
    if request.POST.get("use_forecast") and service.forecast_portions is not None:
        data["planned_portions"] = str(service.forecast_portions)
    form = PlanForm(data, auto_id=f"plan_{service.id.hex}_%s")
    if not form.is_valid():
        return _service_page(
            request, access, service, status=400, bound={("plan", service.id): form}
        )
    planned = form.cleaned_data["planned_portions"]
    seen = form.cleaned_data["seen"] if "seen" in data else services.UNSEEN
    try:
        services.meal_service_update(
            service_id=service.id, data={"planned_portions": planned}, planned_seen=seen
        )
    except Conflict as error:
        # What was typed stays; the plan as it is now becomes the one seen.
        current = MealService.objects.get(id=service.id).planned_portions
        data["seen"] = "" if current is None else str(current)
        form = PlanForm(data, auto_id=f"plan_{service.id.hex}_%s")
        form.is_valid()
        form.add_error(
            "planned_portions",
            f"{error.detail} "
            + (
                _("The plan is now: none.")
                if current is None
                else _("The plan is now: %(portions)s.") % {"portions": current}
            ),
        )
        return _service_page(
            request, access, service, status=409, bound={("plan", service.id): form}
        )
    if planned is None:
        done = _("%(meal)s: no plan.") % {"meal": service.get_meal_display()}
    else:
        done = ngettext(
            "%(meal)s: %(portions)s portion planned.",
            "%(meal)s: %(portions)s portions planned.",
            planned,
        ) % {"meal": service.get_meal_display(), "portions": planned}
    messages.success(request, done)
    return HttpResponseRedirect(_service_url(service))


@require_POST
@login_required
def meal_add(request, shelter_id=None, city_id=None):
    """A meal given today that no schedule made, at a shelter or (coordinators) a point."""
    access = _access(request, "mealservice.view")
    if shelter_id is not None:
        shelter = get_object_or_404(
            access.scope(Shelter.objects.select_related("city"), "mealservice.view"), id=shelter_id
        )
        city, location = shelter.city, ""
    else:
        shelter = None
        city = get_object_or_404(access.scope(City.objects.all()), id=city_id)
        location = request.POST.get("location", "").strip()[:MAX_LOCATION]
        if not location or not location.isprintable():
            raise Http404
    if not _may_add_meal(access, city=city, shelter=shelter):
        raise PermissionDenied
    form = MealTimeForm(request.POST, auto_id="add_%s")

    def again(status):
        return _place_page(
            request,
            access,
            city=city,
            shelter=shelter,
            location=location,
            status=status,
            bound={("add", None): form},
        )

    if not form.is_valid():
        return again(400)
    now = _city_now(city)
    starts_at = datetime.combine(now.date(), form.cleaned_data["time"], tzinfo=now.tzinfo)
    try:
        service = services.meal_service_create(
            meal=form.cleaned_data["meal"],
            starts_at=starts_at,
            access=access,
            city=city,
            shelter=shelter,
            location=location,
            planned_portions=form.cleaned_data["planned_portions"],
        )
    except DjangoValidationError as error:
        for field, errors in error.message_dict.items():
            form.add_error(field if field in form.fields else None, errors)
        return again(400)
    except Conflict as conflict:
        form.add_error("time", conflict.detail)
        return again(409)
    messages.success(
        request,
        _("%(meal)s at %(time)s added.")
        % {"meal": service.get_meal_display(), "time": form.cleaned_data["time"].strftime("%H:%M")},
    )
    return HttpResponseRedirect(_service_url(service))


# --- A shelter's daily schedule -----------------------------------------------------------


def _schedule_page(request, access, shelter, *, bound=None, status=200):
    """`bound`: (entry id or "new", the form that was refused)."""
    entries = []
    for entry in MealSchedule.objects.filter(shelter=shelter).order_by("time", "meal"):
        if bound and bound[0] == entry.id:
            form = bound[1]
        else:
            form = MealTimeForm(
                initial={
                    "meal": entry.meal,
                    "time": entry.time,
                    "planned_portions": entry.planned_portions,
                },
                auto_id=f"entry_{entry.id.hex}_%s",
            )
        entries.append({"entry": entry, "form": form})
    new_form = bound[1] if bound and bound[0] == "new" else MealTimeForm(auto_id="new_%s")
    summary = error_summary([(bound[1], "")]) if bound else []
    return render(
        request,
        "meals/schedule.html",
        {
            "access": access,
            "shelter": shelter,
            "zone": _zone(shelter.city),
            "entries": entries,
            "new_form": new_form,
            "error_summary": summary,
        },
        status=status,
    )


@require_http_methods(["GET", "POST"])
@login_required
@never_cache
def schedule(request, shelter_id):
    """A shelter's daily meals: each entry changed or removed in place, a new one added.
    A change applies from the next day the entry has not made its service for."""
    access = _access(request, "mealschedule.change")
    shelter = get_object_or_404(
        access.scope(Shelter.objects.select_related("city"), "mealschedule.change"),
        id=shelter_id,
    )
    if request.method == "GET":
        return _schedule_page(request, access, shelter)
    action = request.POST.get("action", "")
    entry_id = request.POST.get("entry", "")
    entry = None
    if action in {"save", "delete"}:
        try:
            entry = MealSchedule.objects.get(shelter=shelter, id=uuid.UUID(entry_id))
        except (ValueError, MealSchedule.DoesNotExist):
            messages.error(request, _("This meal is no longer on the schedule."))
            return redirect("web-kitchen-schedule", shelter_id=shelter.id)
    elif action != "add":
        messages.error(request, _("Choose save, remove or add."))
        return redirect("web-kitchen-schedule", shelter_id=shelter.id)
    if action == "delete":
        assert entry is not None
        services.meal_schedule_delete(schedule_id=entry.id)
        messages.success(request, _("Removed from the schedule."))
        return redirect("web-kitchen-schedule", shelter_id=shelter.id)
    auto_id = f"entry_{entry.id.hex}_%s" if entry is not None else "new_%s"
    form = MealTimeForm(request.POST, auto_id=auto_id)
    bound_key = entry.id if entry is not None else "new"
    if not form.is_valid():
        return _schedule_page(request, access, shelter, bound=(bound_key, form), status=400)
    data = form.cleaned_data
    try:
        if entry is None:
            services.meal_schedule_create(
                shelter=shelter,
                meal=data["meal"],
                time=data["time"],
                planned_portions=data["planned_portions"],
            )
        else:
            services.meal_schedule_update(schedule_id=entry.id, data=data)
    except (Conflict, DjangoValidationError, IntegrityError) as error:
        detail = getattr(error, "detail", None)
        form.add_error(
            "time", str(detail) if detail else _("This shelter's schedule already has this meal.")
        )
        return _schedule_page(request, access, shelter, bound=(bound_key, form), status=409)
    messages.success(
        request,
        _("Schedule saved. It applies from the next day whose meals are not made yet."),
    )
    return redirect("web-kitchen-schedule", shelter_id=shelter.id)


# --- The day's report ---------------------------------------------------------------------


@require_GET
@login_required
@never_cache
def report(request):
    """A city's meals of one day (coordinators), and the link to its CSV."""
    access = _access(request, "mealsreport.view")
    cities = list(access.scope(City.objects.all()).order_by("name"))
    if not cities:
        raise Http404
    city = cities[0]
    if request.GET.get("city"):
        try:
            city = next(c for c in cities if c.id == uuid.UUID(request.GET["city"]))
        except (ValueError, StopIteration):
            raise Http404 from None
    form = ReportForm(request.GET if "date" in request.GET else None)
    day = _today(city)
    status = 200
    if form.is_bound:
        if form.is_valid():
            try:
                selectors.day_check(form.cleaned_data["date"])
                day = form.cleaned_data["date"]
            except DjangoValidationError as error:
                form.add_error("date", error)
                status = 400
        else:
            status = 400
    the_report = selectors.meals_report(city=city, day=day)
    services_of_day = cast(list[MealService], the_report["services"])
    totals = cast(dict[str, Any], the_report["totals"])
    tz = zoneinfo.ZoneInfo(city.timezone)
    rows = [
        {
            "service": service,
            "time": timezone.localtime(service.starts_at, tz),
            "place": service.shelter.name if service.shelter is not None else service.location,
            "diet_forecast": _diets_shown(service.diet_forecast),
            "served_diet": _diets_shown(service.served_diet),
        }
        for service in services_of_day
    ]
    csv_url = f"{reverse('meals-report')}?" + urlencode(
        {"city": str(city.id), "date": day.isoformat(), "format": "csv"}
    )
    return render(
        request,
        "meals/report.html",
        {
            "access": access,
            "cities": cities,
            "city": city,
            "day": day,
            "form": form,
            "rows": rows,
            "totals": totals,
            "total_diets": _diets_shown(totals["served_diet"]),
            "csv_url": csv_url,
            "error_summary": error_summary([(form, "")]),
        },
        status=status,
    )
