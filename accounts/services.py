"""Writes of members and API keys. Every function here is atomic."""

import secrets
from collections.abc import Iterable

from django.contrib.auth import get_user_model
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from rest_framework.authtoken.models import Token

from .access import access_for_user
from .authentication import PREFIX_LENGTH, api_key_digest
from .models import ApiKey, Membership
from .rules import SHELTER_STAFF


@transaction.atomic
def member_create(
    *, username: str, password: str, role: str, cities: Iterable = (), shelters: Iterable = ()
) -> Membership:
    """Make a person with a role. Raises django ValidationError by field (a weak password).

    Coordinators and shelter managers (`accounts.rules.SHELTER_STAFF`) get `is_staff`
    so they can use the admin, where they see only what the API lets them see.
    """
    user_model = get_user_model()
    user = user_model(username=username, is_staff=role in SHELTER_STAFF)
    try:
        validate_password(password, user)
    except ValidationError as error:
        raise ValidationError({"password": error.messages}) from error
    user.set_password(password)
    user.full_clean(exclude=["password"])
    user.save()
    membership = Membership.objects.create(user=user, role=role)
    membership.cities.set(cities)
    membership.shelters.set(shelters)
    return membership


@transaction.atomic
def auth_token_issue(*, user) -> Token:
    """The user's token for `Authorization: Token <key>`: the one they have, or a new one."""
    token, _created = Token.objects.get_or_create(user=user)
    return token


@transaction.atomic
def api_key_create(
    *, name: str, scopes: list[str], created_by, cities: Iterable | None = None
) -> tuple:
    """Make a key; returns (ApiKey, the key in clear). The clear key is never stored.

    The maker must be allowed to make keys (`apikey.add`) and the key acts in `cities`,
    all within the maker's reach; with none, in every city of the maker's. Raises
    PermissionDenied otherwise.
    """
    access = access_for_user(created_by)
    city_model = ApiKey._meta.get_field("cities").related_model
    theirs = access.scope(city_model._default_manager.all(), "apikey.add")
    city_ids = {city.pk for city in cities or ()} or set(theirs.values_list("pk", flat=True))
    if not access.allows("apikey.add") or theirs.filter(pk__in=city_ids).count() != len(city_ids):
        raise PermissionDenied(_("Only a coordinator makes API keys, for cities they coordinate."))
    while True:
        key = secrets.token_urlsafe(32)
        prefix = key[:PREFIX_LENGTH]
        if not ApiKey.objects.filter(prefix=prefix).exists():
            break
    api_key = ApiKey.objects.create(
        name=name,
        prefix=prefix,
        digest=api_key_digest(key),
        scopes=sorted(set(scopes)),
        created_by=created_by,
    )
    api_key.cities.set(city_ids)
    return api_key, key


@transaction.atomic
def api_key_revoke(*, api_key: ApiKey) -> ApiKey:
    if api_key.revoked_at is None:
        api_key.revoked_at = timezone.now()
        api_key.save(update_fields=["revoked_at"])
    return api_key
