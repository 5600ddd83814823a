"""What a caller may see and do: computed once per request from its role or API key.

`Access` answers two questions, the same way for the API, the web pages, the back
office and the services:

- `scope(queryset, action=None)`: the rows of the queryset within the caller's reach
  (the cities and shelters of their role, by the model's `accounts.reach.Reach`),
  and, with an action, only if the action's rule allows the caller at all;
- `allows(action, obj=None)`: whether the rule of `accounts.rules.RULES` lets the
  caller do the action, and, with an object, whether that object is within reach.

Nothing is visible by default: a model that declares no reach is a superuser's only.
"""

import functools
import operator
from dataclasses import dataclass
from typing import TypeVar

from django.core.exceptions import FieldDoesNotExist
from django.db import connection
from django.db.models import Model, Q, QuerySet

from .models import ApiKey, Membership, Role
from .rules import RULES

INTEGRATION = "integration"

_M = TypeVar("_M", bound=Model)


@functools.cache
def _crosses_many(model: type[Model], lookup: str) -> bool:
    """Whether a lookup from the model passes a many-valued relation (so a row may
    match through several related rows)."""
    for name in lookup.split("__"):
        try:
            field = model._meta.get_field(name)
        except FieldDoesNotExist:
            return False  # `pk` or a transform: no relation beyond this point
        if field.many_to_many or field.one_to_many:
            return True
        if not field.is_relation:
            return False
        assert field.related_model is not None  # a relation's model (no generic relations here)
        model = field.related_model
    return False


@dataclass(frozen=True)
class Access:
    user_id: int | None
    username: str
    role: str | None
    is_superuser: bool
    city_ids: frozenset
    shelter_ids: frozenset
    scopes: frozenset | None = None  # None for people; an API key's scopes otherwise

    @property
    def reach(self) -> tuple:
        """What `scope` reads of the caller, without an action: a key for what is built
        from it (`config.compiled`)."""
        return (self.is_superuser, self.role, self.city_ids, self.shelter_ids)

    @property
    def is_coordinator(self) -> bool:
        return self.role == Role.COORDINATOR

    @property
    def is_integration(self) -> bool:
        return self.role == INTEGRATION

    def allows(self, action: str, obj: Model | None = None) -> bool:
        """Whether the caller may do `action` (a key of `accounts.rules.RULES`; an unknown
        one raises KeyError), and, given `obj`, do it on that object: the object must be
        within the caller's reach for the action (one query)."""
        rule = RULES[action]
        if self.is_superuser:
            return True
        if self.is_integration:
            assert self.scopes is not None  # an API key's caller has its scopes
            allowed = rule.scope is not None and rule.scope in self.scopes
        else:
            allowed = self.role is not None and self.role in rule.roles
        if not allowed or obj is None:
            return allowed
        if obj.pk is None or obj._state.adding:
            return False
        return self.scope(type(obj)._default_manager.filter(pk=obj.pk), action).exists()

    def scope(self, queryset: QuerySet[_M], action: str | None = None) -> QuerySet[_M]:
        """The rows of `queryset` within the caller's reach; with `action`, none unless
        its rule allows the caller, and only the rows it may be done on.

        Reach is by the model's `reach`: a shelter manager's rows are those at their
        shelters (where the model has a shelter; else those of their shelters' cities),
        everyone else's those of their cities. Reading (`view`, or no action) takes a
        manager's rows as `Reach.seen`, any other action as `Reach.present`.
        """
        if action is not None and not self.allows(action):
            return queryset.none()
        if self.is_superuser:
            return queryset
        model = queryset.model
        reach = getattr(model, "reach", None)
        if reach is None:
            return queryset.none()
        if self.role == Role.SHELTER_MANAGER and reach.shelter:
            reading = action is None or action.endswith(".view")
            lookups, ids = (reach.shelter,), self.shelter_ids
            condition = reach.seen if reading else reach.present
        else:
            lookups, ids = reach.cities, self.city_ids
            condition = None
        within = functools.reduce(operator.or_, (Q(**{f"{lookup}__in": ids}) for lookup in lookups))
        if condition is not None:
            within &= condition  # in one filter(): on the same related rows
        if any(_crosses_many(model, lookup) for lookup in lookups):
            return queryset.filter(pk__in=model._default_manager.filter(within).values("pk"))
        return queryset.filter(within)


NOBODY = Access(None, "", None, False, frozenset(), frozenset())


def system_access(name: str) -> Access:
    """The system acting on its own (a scheduled task, a command, the matcher): it may do
    everything everywhere, and its actions are recorded under `name`."""
    return Access(None, name, None, True, frozenset(), frozenset())


def _access_without_membership(user, *, superuser: bool) -> Access:
    """A superuser's access (everything, everywhere), or a person's without a membership
    (nothing)."""
    return Access(user.pk, user.get_username(), None, superuser, frozenset(), frozenset())


def access_for_user(user) -> Access:
    """What a person may see and do, outside a request too (the admin, commands).

    One query on PostgreSQL: the membership with its shelters (and their cities) and
    cities as arrays; elsewhere three. No query for a person found by a token on
    PostgreSQL: the token's statement read the membership too (`user.access_loaded`)."""
    if not user or not user.is_authenticated:
        return NOBODY
    loaded = getattr(user, "access_loaded", None)
    if loaded is not None:
        return loaded
    if user.is_superuser:
        return _access_without_membership(user, superuser=True)
    if connection.vendor == "postgresql":
        return _access_in_one_query(user)
    membership = getattr(user, "membership", None)
    if membership is None:
        return _access_without_membership(user, superuser=False)
    shelters = list(membership.shelters.values_list("id", "city_id"))
    shelter_ids = frozenset(shelter_id for shelter_id, _ in shelters)
    if membership.role == Role.SHELTER_MANAGER:
        city_ids = frozenset(city_id for _, city_id in shelters)
    else:
        city_ids = frozenset(membership.cities.values_list("id", flat=True))
    return Access(user.pk, user.get_username(), membership.role, False, city_ids, shelter_ids)


@functools.cache
def membership_columns() -> str:
    """The membership `m` as four columns: its role, its shelters, their cities and its
    cities, the last three as arrays (written out: this is on the way of every request).
    Read by `membership_access`. Without a membership (an outer join's NULLs) the role
    is NULL and the arrays empty."""
    shelters = Membership.shelters.through._meta.db_table
    cities = Membership.cities.through._meta.db_table
    shelter_table = Membership.shelters.field.related_model._meta.db_table
    return (
        "m.role, "  # noqa: S608 - table names from the models
        f"ARRAY(SELECT x.shelter_id FROM {shelters} x WHERE x.membership_id = m.id), "
        f"ARRAY(SELECT s.city_id FROM {shelters} x JOIN {shelter_table} s "
        "ON s.id = x.shelter_id WHERE x.membership_id = m.id), "
        f"ARRAY(SELECT y.city_id FROM {cities} y WHERE y.membership_id = m.id)"
    )


def membership_access(user, columns) -> Access:
    """A person's access from the columns of `membership_columns`."""
    role, shelter_ids, shelter_city_ids, city_ids = columns
    if user.is_superuser or role is None:
        return _access_without_membership(user, superuser=user.is_superuser)
    if role == Role.SHELTER_MANAGER:
        city_ids = shelter_city_ids
    return Access(
        user.pk, user.get_username(), role, False, frozenset(city_ids), frozenset(shelter_ids)
    )


def _access_in_one_query(user) -> Access:
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT {membership_columns()} "  # noqa: S608 - names from the models
            f"FROM {Membership._meta.db_table} m WHERE m.user_id = %s",
            [user.pk],
        )
        row = cursor.fetchone()
    return membership_access(user, row or (None, [], [], []))


def _access_for_key(key: ApiKey) -> Access:
    """A key acts in its cities, as far as its maker still coordinates them: a key
    outlives neither its maker's role nor their cities."""
    cities = frozenset(key.cities.values_list("id", flat=True))
    maker = access_for_user(key.created_by)
    if not maker.is_superuser:
        cities &= maker.city_ids if maker.is_coordinator else frozenset()
    return Access(
        key.created_by_id,
        f"api-key:{key.name}",
        INTEGRATION,
        False,
        cities,
        frozenset(),
        frozenset(key.scopes),
    )


def access_for(request) -> Access:
    cached = getattr(request, "_berth_access", None)
    if cached is not None:
        return cached
    auth = getattr(request, "auth", None)
    access = _access_for_key(auth) if isinstance(auth, ApiKey) else access_for_user(request.user)
    request._berth_access = access
    return access
