from django.contrib import admin

from .models import MealSchedule, MealService, Serving


class SuperuserOnlyMixin:
    """Meals are managed through the API, scoped by role; the admin is for superusers."""

    def has_module_permission(self, request):
        return request.user.is_superuser

    def has_view_permission(self, request, obj=None):
        return request.user.is_superuser

    def has_add_permission(self, request, *args):
        return request.user.is_superuser

    def has_change_permission(self, request, obj=None):
        return request.user.is_superuser

    def has_delete_permission(self, request, obj=None):
        return request.user.is_superuser


class ServingInline(SuperuserOnlyMixin, admin.TabularInline):
    model = Serving
    extra = 0
    fields = ["portions", "diet", "recorded_by", "recorded_at"]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(MealService)
class MealServiceAdmin(SuperuserOnlyMixin, admin.ModelAdmin):
    list_display = ["starts_at", "meal", "shelter", "location", "city", "planned_portions"]
    list_filter = ["meal", "city"]
    search_fields = ["location", "shelter__name"]
    date_hierarchy = "starts_at"
    raw_id_fields = ["shelter", "schedule"]
    readonly_fields = ["created_by", "created_at"]
    inlines = [ServingInline]


@admin.register(MealSchedule)
class MealScheduleAdmin(SuperuserOnlyMixin, admin.ModelAdmin):
    list_display = ["shelter", "meal", "time", "planned_portions"]
    list_filter = ["meal"]
    search_fields = ["shelter__name"]
    raw_id_fields = ["shelter"]
