"""Deny by default: each view names, per action, the roles and the API key scope allowed."""

from dataclasses import dataclass, field

from rest_framework.permissions import BasePermission

from .access import access_for
from .models import Role

COORDINATOR = frozenset({Role.COORDINATOR})
CITY_STAFF = frozenset({Role.COORDINATOR, Role.VOLUNTEER})
EVERYONE = frozenset({Role.COORDINATOR, Role.VOLUNTEER, Role.SHELTER_MANAGER})
SHELTER_STAFF = frozenset({Role.COORDINATOR, Role.SHELTER_MANAGER})


@dataclass(frozen=True)
class Rule:
    roles: frozenset = field(default_factory=frozenset)
    scope: str | None = None  # the API key scope that also grants it; None: no key may


class IsMember(BasePermission):
    def has_permission(self, request, view) -> bool:
        access = access_for(request)
        if access.user_id is None:
            return False
        if access.is_superuser:
            return True
        method = request.method.lower()
        if method not in view.http_method_names or not hasattr(view, method):
            return True  # nobody may: the view answers 405, not a misleading 403
        action = getattr(view, "action", None) or method
        rule = getattr(view, "access_rules", {}).get(action)
        if rule is None:
            return False
        if access.is_integration:
            return rule.scope is not None and rule.scope in access.scopes
        return access.role in rule.roles
