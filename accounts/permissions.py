"""Deny by default: each API view names its resource, and the action asked of it must be
allowed by `accounts.rules.RULES` (through `Access.allows`)."""

from typing import TYPE_CHECKING

from rest_framework.permissions import BasePermission

from .access import Access, access_for
from .rules import RULES

if TYPE_CHECKING:
    from rest_framework.views import APIView

    _View = APIView  # what the mixin is mixed into
else:
    _View = object

# A viewset's standard actions (and a plain view's GET) by the verbs of the rules.
VERBS = {
    "list": "view",
    "retrieve": "view",
    "get": "view",
    "create": "add",
    "update": "change",
    "partial_update": "change",
    "destroy": "delete",
}


def view_action(view, request) -> str | None:
    """The rule an API request asks for: `<view.resource>.<verb>`; None for a view that
    names no resource (nobody but a superuser may use it)."""
    resource = getattr(view, "resource", None)
    if resource is None:
        return None
    action = getattr(view, "action", None) or request.method.lower()
    if action == "metadata":
        # OPTIONS describes each write the caller may make by asking with a copy of the
        # request carrying that write's method (DRF's SimpleMetadata).
        action = {"post": "create", "put": "update"}.get(request.method.lower(), action)
    return f"{resource}.{VERBS.get(action, action)}"


class IsMember(BasePermission):
    def has_permission(self, request, view) -> bool:
        access = access_for(request)
        if access.user_id is None:
            return False
        if access.is_superuser:
            return True
        method = request.method.lower()
        if method == "options":
            # A description of the endpoint (its fields, what it parses), as the public
            # OpenAPI document gives it: any signed-in caller. What the caller may do with
            # it is still asked of each other method.
            return True
        if method not in view.http_method_names or not hasattr(view, method):
            return True  # nobody may: the view answers 405, not a misleading 403
        action = view_action(view, request)
        return action in RULES and access.allows(action)


class AccessMixin(_View):
    """For API views: `resource` names the rules they ask (`accounts.rules`), and
    `access` is the caller's."""

    resource: str

    @property
    def access(self) -> Access:
        return access_for(self.request)
