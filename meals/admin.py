"""The back office shows meals as the API would, and changes nothing.

Staff see the services and schedules within their reach (`accounts.admin.
ScopedModelAdmin`: coordinators their cities', managers their shelters'). Meals are
planned, moved and deleted through the API, whose services hold the rules (a
service's city is its shelter's, who planned it is recorded, one meal per slot, times
to the minute, servings recorded under the service's row lock). An admin form would
save around them, so every page here is read-only: no add, change or delete, and no
bulk action.
"""

from django.contrib import admin

from accounts.admin import ScopedModelAdmin, ScopedPermissionsMixin

from .models import MealSchedule, MealService, Serving

READ_ONLY = frozenset({"view"})


class ServingInline(ScopedPermissionsMixin, admin.TabularInline):
    """A service's servings, seen with the service."""

    model = Serving
    resource = "mealservice"
    verbs = READ_ONLY
    extra = 0
    fields = readonly_fields = ("portions", "diet", "recorded_by", "recorded_at")


@admin.register(MealService)
class MealServiceAdmin(ScopedModelAdmin):
    verbs = READ_ONLY
    list_display = ["starts_at", "meal", "shelter", "location", "city", "planned_portions"]
    list_filter = ["meal", ("city", admin.RelatedOnlyFieldListFilter)]
    search_fields = ["location", "shelter__name"]
    date_hierarchy = "starts_at"
    list_select_related = ["shelter", "city"]
    inlines = [ServingInline]


@admin.register(MealSchedule)
class MealScheduleAdmin(ScopedModelAdmin):
    verbs = READ_ONLY
    list_display = ["shelter", "meal", "time", "planned_portions"]
    list_filter = ["meal"]
    search_fields = ["shelter__name"]
    list_select_related = ["shelter"]
