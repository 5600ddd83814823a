"""The back office for members and API keys, scoped like the API.

`ScopedModelAdmin` is the one way an admin page of Berth decides who may see and
change what: it asks the same `accounts.access.Access` as the API, with the rules of
`accounts.rules` (the page's resource is its model's name), never Django's model
permissions. A superuser may do everything; a coordinator or a shelter manager (both
`is_staff`) sees what the API would show them.
"""

from typing import TYPE_CHECKING, Any

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models.constants import LOOKUP_SEP
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from config.text import text_validator_for

from . import services
from .access import Access, access_for
from .models import ApiKey, Membership

if TYPE_CHECKING:
    from django.db.models.options import Options

VERBS = frozenset({"view", "add", "change", "delete"})


class ScopedPermissionsMixin:
    """Permissions of an admin page (or inline) from the caller's access.

    `verbs` are what the page does at all (a read-only page: `{"view"}`); each is asked
    of the rules as `<resource>.<verb>`, on the object when there is one. `resource`
    defaults to the model's name; an inline names its parent's (its rows are seen
    with the parent). `superuser_verbs` are done with Django's own form, around the
    services: only a superuser may use them here.
    """

    verbs: frozenset = VERBS
    superuser_verbs: frozenset = frozenset()
    resource: str = ""
    opts: "Options[Any]"  # the admin's

    def access(self, request) -> Access:
        return access_for(request)

    def may(self, request, verb: str, obj=None) -> bool:
        access = self.access(request)
        if verb not in self.verbs or (verb in self.superuser_verbs and not access.is_superuser):
            return False
        return access.allows(f"{self.resource or self.opts.model_name}.{verb}", obj)

    def has_module_permission(self, request):
        return self.may(request, "view")

    def has_view_permission(self, request, obj=None):
        return self.may(request, "view", obj) or self.may(request, "change", obj)

    def has_change_permission(self, request, obj=None):
        return self.may(request, "change", obj)

    def has_add_permission(self, request, *args):
        return self.may(request, "add")

    def has_delete_permission(self, request, obj=None):
        return self.may(request, "delete", obj)


class ScopedModelAdmin(ScopedPermissionsMixin, admin.ModelAdmin):
    """An admin page whose rows are those the caller reaches (`Access.scope`); an
    object outside them is "not found". Choices of related rows are scoped alike."""

    def get_queryset(self, request):
        return self.access(request).scope(super().get_queryset(request))

    def lookup_allowed(self, lookup, value, request=None):
        """Only the filters the page offers, with values a database can hold: Django's
        admin takes a filter typed into the address on any field, and one on a field
        the page hides (whether a party may be a duplicate, who registered it) would
        tell what it hides. Another answers 400."""
        offered = set()
        for item in self.list_filter:  # a field's name, or (name, its filter class)
            name = item[0] if isinstance(item, tuple | list) else item
            if isinstance(name, str):
                offered.add(name)
        if self.date_hierarchy:
            offered.add(self.date_hierarchy)
        if lookup.split(LOOKUP_SEP)[0] not in offered or "\x00" in str(value):
            return False
        return super().lookup_allowed(lookup, value, request)

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        kwargs.setdefault("queryset", self._related(db_field, request))
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        kwargs.setdefault("queryset", self._related(db_field, request))
        return super().formfield_for_manytomany(db_field, request, **kwargs)

    def _related(self, db_field, request):
        model = db_field.related_model
        return self.access(request).scope(model._default_manager.all())

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        """Text fields refuse control characters, as in the API and the pages
        (config.text: one line for a CharField, line breaks and tabs in a TextField)."""
        field = super().formfield_for_dbfield(db_field, request, **kwargs)
        validator = text_validator_for(db_field)
        if field is not None and validator is not None and not db_field.choices:
            field.validators.append(validator)
        return field


@admin.register(Membership)
class MembershipAdmin(ScopedModelAdmin):
    """Coordinators see the members of their cities; only a superuser changes roles.

    The form writes the membership row itself (people are made by `member_create`,
    through the API), so adding, changing and deleting here are a superuser's.
    """

    superuser_verbs = frozenset({"add", "change", "delete"})
    list_display = ["user", "role", "city_names", "shelter_names", "created_at"]
    list_filter = ["role"]
    search_fields = ["user__username"]
    ordering = ["user__username"]
    raw_id_fields = ["user"]
    filter_horizontal = ["cities", "shelters"]

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("cities", "shelters")

    def save_model(self, request, obj, form, change):
        # A role changed here opens or closes the back office, as `member_create` sets it.
        services.membership_save(membership=obj)

    @admin.display(description=_("cities"))
    def city_names(self, membership):
        return ", ".join(city.name for city in membership.cities.all())

    @admin.display(description=_("shelters"))
    def shelter_names(self, membership):
        return ", ".join(shelter.name for shelter in membership.shelters.all())

    actions = ["unlock_sign_in"]

    @admin.action(description=_("Unlock sign-in (after too many wrong passwords)"))
    def unlock_sign_in(self, request, queryset):
        """A coordinator's reset of the sign-in limit (`services.member_login_unlock`),
        for the selected members they coordinate."""
        unlocked = 0
        for membership in queryset.select_related("user"):
            try:
                removed = services.member_login_unlock(membership=membership, by=request.user)
            except PermissionDenied:
                continue
            unlocked += bool(removed)  # only those who had failed: the others were not locked
        self.message_user(
            request,
            ngettext(
                "Sign-in unlocked for %(count)d member.",
                "Sign-in unlocked for %(count)d members.",
                unlocked,
            )
            % {"count": unlocked},
            messages.SUCCESS,
        )


@admin.register(ApiKey)
class ApiKeyAdmin(ScopedModelAdmin):
    """Read-only: a key is made through the API, where it is shown once. Keys can be revoked."""

    verbs = frozenset({"view", "revoke"})
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
    fields = readonly_fields = (
        "name",
        "prefix",
        "scope_list",
        "cities",
        "created_by",
        "created_at",
        "revoked_at",
    )
    actions = ["revoke"]

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("cities")

    def has_revoke_permission(self, request):
        return self.may(request, "revoke")

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
