"""The back office: parties, placements and matching runs, read-only.

Every change goes through the API's services (events, counters, audit), so nothing
here writes. Staff see what the API would show them (`accounts.admin.ScopedModelAdmin`),
family names and phones included to exactly those the API shows them to, each showing
audited: both through `arrivals.services.parties_personal_data_show`.
"""

from collections import Counter

from django.contrib import admin
from django.contrib.admin.utils import unquote
from django.utils.translation import gettext_lazy as _

from accounts.admin import ScopedModelAdmin, ScopedPermissionsMixin

from . import services
from .models import (
    MEMBER_FIELDS,
    MEMBER_PERSONAL_FIELDS,
    PARTY_PERSONAL_FIELDS,
    PARTY_REGISTRATION_FIELDS,
    MatchingRun,
    Party,
    PartyEvent,
    PartyMember,
    PartyStatus,
    Placement,
    RunTrigger,
    WaitingReason,
    choice_label,
    code_from_typed,
)

READ_ONLY = frozenset({"view"})


def _personal_data_shown(request, party) -> bool:
    """Whether this request's page shows the party's personal data: decided (and the
    read audited) once, by `PartyAdmin.change_view`."""
    return party is not None and party.pk in getattr(request, "berth_personal_data_shown", ())


def _without(fields, hidden, shown: bool) -> list:
    return list(fields) if shown else [name for name in fields if name not in hidden]


class PartyInline(ScopedPermissionsMixin, admin.TabularInline):
    """Lines of a party, seen with the party."""

    resource = "party"
    verbs = READ_ONLY
    extra = 0
    can_delete = False


class PartyMemberInline(PartyInline):
    model = PartyMember
    member_fields = ("position", *MEMBER_FIELDS)

    def get_fields(self, request, obj=None):
        shown = _personal_data_shown(request, obj)
        return _without(self.member_fields, MEMBER_PERSONAL_FIELDS, shown)

    def get_readonly_fields(self, request, obj=None):
        return self.get_fields(request, obj)


class PartyEventInline(PartyInline):
    """The party's history, to those the API gives it (`party.history`: coordinators)."""

    model = PartyEvent
    fields = readonly_fields = ("at", "actor", "from_status_label", "to_status_label", "reason")
    ordering = ("at", "id")

    # The statuses are stored as values (no choices on the columns): shown in words.
    @admin.display(description=_("from"))
    def from_status_label(self, event):
        return choice_label(PartyStatus, event.from_status)

    @admin.display(description=_("to"))
    def to_status_label(self, event):
        return choice_label(PartyStatus, event.to_status)

    def has_view_permission(self, request, obj=None):
        return super().has_view_permission(request, obj) and self.access(request).allows(
            "party.history", obj
        )


@admin.register(Party)
class PartyAdmin(ScopedModelAdmin):
    verbs = READ_ONLY
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
        *PARTY_REGISTRATION_FIELDS,
        "waiting_since",
        "status_changed_at",
        "personal_data_erased_at",
        "created_by",
        "created_at",
    )

    def get_search_results(self, request, queryset, search_term):
        # Codes are typed as read aloud: any case, spaces, Cyrillic look-alikes.
        return super().get_search_results(request, queryset, code_from_typed(search_term))

    def _hidden(self, request, obj=None) -> set[str]:
        """What the API does not show this caller: whether a party may be a duplicate
        (`party.possible_duplicate`), who registered it (its history: `party.history`)."""
        access = self.access(request)
        hidden = set()
        if not access.allows("party.possible_duplicate", obj):
            hidden.add("possible_duplicate")
        if not access.allows("party.history", obj):
            hidden.add("created_by")
        return hidden

    def get_list_display(self, request):
        return _without(self.list_display, self._hidden(request), False)

    def get_fields(self, request, obj=None):
        shown = _personal_data_shown(request, obj)
        fields = _without(self.party_fields, PARTY_PERSONAL_FIELDS, shown)
        return _without(fields, self._hidden(request, obj), False)

    def get_readonly_fields(self, request, obj=None):
        return self.get_fields(request, obj)

    def change_view(self, request, object_id, form_url="", extra_context=None):
        party = self.get_object(request, unquote(object_id))
        if party is not None and request.method == "GET":
            request.berth_personal_data_shown = services.parties_personal_data_show(
                access=self.access(request), parties=[party]
            )
        return super().change_view(request, object_id, form_url, extra_context)


@admin.register(Placement)
class PlacementAdmin(ScopedModelAdmin):
    verbs = READ_ONLY
    list_display = ("party", "space", "beds", "status", "held_until", "created_by", "created_at")
    list_filter = ("status",)
    list_select_related = ("party", "space__shelter")
    search_fields = ("party__code",)
    ordering = ("-created_at",)
    placement_fields = (
        "party",
        "space",
        "beds",
        "status",
        "held_until",
        "created_by",
        "reason",
        "run",
        "created_at",
        "checked_in_at",
        "ended_at",
        "unclaimed",
    )

    def get_fields(self, request, obj=None):
        # Why a coordinator placed, moved or released it is theirs, as in the API (a
        # placement's `reason` goes with a party's history: `party.history`).
        party = obj.party if obj is not None else None
        shown = self.access(request).allows("party.history", party)
        return _without(self.placement_fields, {"reason"}, shown)

    def get_readonly_fields(self, request, obj=None):
        return self.get_fields(request, obj)


@admin.register(MatchingRun)
class MatchingRunAdmin(ScopedModelAdmin):
    verbs = READ_ONLY
    list_display = (
        "requested_at",
        "city",
        "status",
        "trigger_label",
        "placed_parties",
        "placed_people",
        "waiting_parties",
        "duration_ms",
    )
    list_filter = ("status", ("city", admin.RelatedOnlyFieldListFilter))
    list_select_related = ("city",)
    ordering = ("-requested_at",)
    fields = readonly_fields = (
        "city",
        "status",
        "trigger_label",
        "requested_at",
        "enqueued_at",
        "started_at",
        "finished_at",
        "placed_parties",
        "placed_people",
        "waiting_parties",
        "duration_ms",
        "engine_ms",
        "unplaced_reasons",
        "superseded_by",
        "error",
    )

    @admin.display(description=_("trigger"), ordering="trigger")
    def trigger_label(self, run):
        return choice_label(RunTrigger, run.trigger)

    @admin.display(description=_("unplaced"))
    def unplaced_reasons(self, run):
        """How many parties the run left waiting, by reason, in words (the stored list is
        of ids and codes, for the API)."""
        counts = Counter(item.get("reason", "") for item in run.unplaced or ())
        return "; ".join(
            f"{choice_label(WaitingReason, reason)}: {n}" for reason, n in counts.most_common()
        )
