"""The back office shows meals to superusers and changes nothing.

Meals are planned, moved and deleted through the API, whose services hold the rules
(a service's city is its shelter's, who planned it is recorded, one meal per slot,
times to the minute, servings recorded under the service's row lock). An admin form
would save around them, so every page here is read-only: no add, change or delete,
and no bulk action.
"""

from django.contrib import admin

from .models import MEAL_SCHEDULE_EDITABLE_FIELDS, MealSchedule, MealService, Serving


class ReadOnlyForSuperusersMixin:
    def has_module_permission(self, request):
        return request.user.is_superuser

    def has_view_permission(self, request, obj=None):
        return request.user.is_superuser

    def has_add_permission(self, request, *args):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class ServingInline(ReadOnlyForSuperusersMixin, admin.TabularInline):
    model = Serving
    extra = 0
    fields = ["portions", "diet", "recorded_by", "recorded_at"]
    readonly_fields = fields


@admin.register(MealService)
class MealServiceAdmin(ReadOnlyForSuperusersMixin, admin.ModelAdmin):
    list_display = ["starts_at", "meal", "shelter", "location", "city", "planned_portions"]
    list_filter = ["meal", "city"]
    search_fields = ["location", "shelter__name"]
    date_hierarchy = "starts_at"
    list_select_related = ["shelter", "city"]
    inlines = [ServingInline]


@admin.register(MealSchedule)
class MealScheduleAdmin(ReadOnlyForSuperusersMixin, admin.ModelAdmin):
    list_display = ["shelter", *MEAL_SCHEDULE_EDITABLE_FIELDS]
    list_filter = ["meal"]
    search_fields = ["shelter__name"]
    list_select_related = ["shelter"]
