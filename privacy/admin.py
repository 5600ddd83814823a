from django.contrib import admin

from accounts.admin import ScopedModelAdmin

from .models import AuditEntry


@admin.register(AuditEntry)
class AuditEntryAdmin(ScopedModelAdmin):
    """The audit trail, read-only, for superusers (`auditentry.view`)."""

    verbs = frozenset({"view"})
    list_display = ["at", "actor", "action", "object_type", "object_id"]
    list_filter = ["action", "object_type"]
    search_fields = ["object_id", "actor"]
