"""The back office: parties, placements and matching runs, read-only.

Every change goes through the API's services (events, counters, audit), so nothing
here writes. Staff see what the API would show them (`accounts.access` and the
scoping selectors of `arrivals.selectors`); family names and phones only to
superusers, and each page that shows them is audited.
"""

from django.contrib import admin

from accounts.access import access_for
from privacy.models import AuditAction
from privacy.services import audit_record

from . import selectors
from .models import MatchingRun, Party, PartyEvent, PartyMember, Placement

PARTY_PERSONAL_FIELDS = ("contact_phone",)
MEMBER_PERSONAL_FIELDS = ("family_name",)


def _without(fields, hidden, request) -> list:
    if request.user.is_superuser:
        return list(fields)
    return [name for name in fields if name not in hidden]


class ReadOnlyMixin:
    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class PartyInlineMixin(ReadOnlyMixin):
    """Lines of a party, visible to whoever may view the party."""

    extra = 0
    can_delete = False

    def has_view_permission(self, request, obj=None):
        return request.user.has_perm("arrivals.view_party")


class PartyMemberInline(PartyInlineMixin, admin.TabularInline):
    model = PartyMember
    member_fields = ("position", "given_name", "family_name", "sex", "age_group", "needs", "diet")

    def get_fields(self, request, obj=None):
        return _without(self.member_fields, MEMBER_PERSONAL_FIELDS, request)

    def get_readonly_fields(self, request, obj=None):
        return self.get_fields(request, obj)


class PartyEventInline(PartyInlineMixin, admin.TabularInline):
    model = PartyEvent
    fields = readonly_fields = ("at", "actor", "from_status", "to_status", "reason")
    ordering = ("at", "id")


@admin.register(Party)
class PartyAdmin(ReadOnlyMixin, admin.ModelAdmin):
    list_display = (
        "code",
        "status",
        "city",
        "size",
        "priority",
        "possible_duplicate",
        "created_at",
    )
    list_filter = ("status", ("city", admin.RelatedOnlyFieldListFilter))
    list_select_related = ("city",)
    search_fields = ("code",)
    ordering = ("-created_at",)
    inlines = (PartyMemberInline, PartyEventInline)
    party_fields = (
        "code",
        "city",
        "status",
        "size",
        "priority",
        "possible_duplicate",
        "registration_point",
        "contact_phone",
        "languages",
        "pets",
        "nights_needed",
        "notes",
        "consent",
        "waiting_since",
        "status_changed_at",
        "personal_data_erased_at",
        "created_by",
        "created_at",
    )

    def get_queryset(self, request):
        visible = selectors.parties_visible(access=access_for(request)).values("pk")
        return super().get_queryset(request).filter(pk__in=visible)

    def get_search_results(self, request, queryset, search_term):
        # Codes are typed as read aloud: any case, stray spaces.
        return super().get_search_results(request, queryset, search_term.strip().upper())

    def get_fields(self, request, obj=None):
        return _without(self.party_fields, PARTY_PERSONAL_FIELDS, request)

    def get_readonly_fields(self, request, obj=None):
        return self.get_fields(request, obj)

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        if obj is not None and request.user.is_superuser and self._has_personal_data(obj):
            access = access_for(request)
            audit_record(
                actor_id=access.user_id,
                actor=access.username,
                action=AuditAction.READ,
                object_type="party",
                object_ids=[obj.pk],
            )
        return super().render_change_form(request, context, add, change, form_url, obj)

    @staticmethod
    def _has_personal_data(party: Party) -> bool:
        return bool(party.contact_phone) or party.members.exclude(family_name=None).exists()


@admin.register(Placement)
class PlacementAdmin(ReadOnlyMixin, admin.ModelAdmin):
    list_display = ("party", "space", "beds", "status", "held_until", "created_by", "created_at")
    list_filter = ("status",)
    list_select_related = ("party", "space__shelter")
    search_fields = ("party__code",)
    ordering = ("-created_at",)

    def get_queryset(self, request):
        visible = selectors.placements_visible(access=access_for(request)).values("pk")
        return super().get_queryset(request).filter(pk__in=visible)


@admin.register(MatchingRun)
class MatchingRunAdmin(ReadOnlyMixin, admin.ModelAdmin):
    list_display = (
        "requested_at",
        "city",
        "status",
        "trigger",
        "placed_parties",
        "placed_people",
        "waiting_parties",
        "duration_ms",
    )
    list_filter = ("status", ("city", admin.RelatedOnlyFieldListFilter))
    list_select_related = ("city",)
    ordering = ("-requested_at",)

    def get_queryset(self, request):
        visible = selectors.runs_visible(access=access_for(request)).values("pk")
        return super().get_queryset(request).filter(pk__in=visible)
