"""The back office for members and API keys, scoped like the API.

`ScopedModelAdmin` is the one way an admin page of Berth decides who may see and
change what: from the same `accounts.access.Access` the API uses, never from
Django's model permissions. A superuser may do everything; a coordinator or a
shelter manager (both `is_staff`) sees what the API would show them.
"""

from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from . import selectors, services
from .access import Access, access_for
from .models import ApiKey, Membership, Role

COORDINATORS = frozenset({Role.COORDINATOR})


class ScopedModelAdmin(admin.ModelAdmin):
    """Admin whose permissions come from the caller's role and whose rows from a selector.

    Subclasses name the roles allowed per action (`*_roles`; superusers always may)
    and implement `scoped_queryset`. An object outside the queryset is "not found".
    """

    view_roles: frozenset = frozenset()
    add_roles: frozenset = frozenset()
    change_roles: frozenset = frozenset()
    delete_roles: frozenset = frozenset()

    def access(self, request) -> Access:
        return access_for(request)

    def scoped_queryset(self, request, access: Access):
        raise NotImplementedError

    def get_queryset(self, request):
        queryset = self.scoped_queryset(request, self.access(request))
        ordering = self.get_ordering(request)
        return queryset.order_by(*ordering) if ordering else queryset

    def _may(self, request, roles, obj=None) -> bool:
        access = self.access(request)
        if access.is_superuser:
            return True
        if access.role not in roles:
            return False
        return obj is None or self.get_queryset(request).filter(pk=obj.pk).exists()

    def has_module_permission(self, request):
        return self._may(request, self.view_roles | self.change_roles)

    def has_view_permission(self, request, obj=None):
        return self._may(request, self.view_roles | self.change_roles, obj)

    def has_change_permission(self, request, obj=None):
        return self._may(request, self.change_roles, obj)

    def has_add_permission(self, request):
        return self._may(request, self.add_roles)

    def has_delete_permission(self, request, obj=None):
        return self._may(request, self.delete_roles, obj)


@admin.register(Membership)
class MembershipAdmin(ScopedModelAdmin):
    """Coordinators see the members of their cities; only a superuser changes roles."""

    view_roles = COORDINATORS
    list_display = ["user", "role", "city_names", "shelter_names", "created_at"]
    list_filter = ["role"]
    search_fields = ["user__username"]
    ordering = ["user__username"]
    raw_id_fields = ["user"]
    filter_horizontal = ["cities", "shelters"]

    def scoped_queryset(self, request, access):
        return selectors.members_visible(access=access)

    @admin.display(description=_("cities"))
    def city_names(self, membership):
        return ", ".join(city.name for city in membership.cities.all())

    @admin.display(description=_("shelters"))
    def shelter_names(self, membership):
        return ", ".join(shelter.name for shelter in membership.shelters.all())


@admin.register(ApiKey)
class ApiKeyAdmin(ScopedModelAdmin):
    """Read-only: a key is made through the API, where it is shown once. Keys can be revoked."""

    view_roles = COORDINATORS
    list_display = [
        "name",
        "prefix",
        "scope_list",
        "city_names",
        "created_by",
        "created_at",
        "revoked_at",
    ]
    list_filter = [("revoked_at", admin.EmptyFieldListFilter)]
    search_fields = ["name", "prefix"]
    ordering = ["-created_at"]
    fields = ["name", "prefix", "scopes", "cities", "created_by", "created_at", "revoked_at"]
    readonly_fields = fields
    actions = ["revoke"]

    def scoped_queryset(self, request, access):
        return selectors.api_keys_visible(access=access)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def has_revoke_permission(self, request):
        return self._may(request, COORDINATORS)

    @admin.display(description=_("scopes"))
    def scope_list(self, api_key):
        return ", ".join(sorted(api_key.scopes))

    @admin.display(description=_("cities"))
    def city_names(self, api_key):
        return ", ".join(city.name for city in api_key.cities.all())

    @admin.action(description=_("Revoke the selected API keys"), permissions=["revoke"])
    def revoke(self, request, queryset):
        revoked = 0
        for api_key in queryset.filter(revoked_at__isnull=True):
            services.api_key_revoke(api_key=api_key)
            revoked += 1
        self.message_user(
            request,
            ngettext("%(count)d API key revoked.", "%(count)d API keys revoked.", revoked)
            % {"count": revoked},
            messages.SUCCESS,
        )
