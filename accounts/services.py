"""Writes of members and API keys. Every function here is atomic."""

import secrets
from collections.abc import Iterable

from django.contrib.auth import get_user_model
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from rest_framework.authtoken.models import Token

from .authentication import PREFIX_LENGTH, api_key_digest
from .models import ApiKey, Membership, Role

# Roles that work in the back office (the Django admin, scoped like the API).
STAFF_ROLES = frozenset({Role.COORDINATOR, Role.SHELTER_MANAGER})


@transaction.atomic
def member_create(
    *, username: str, password: str, role: str, cities: Iterable = (), shelters: Iterable = ()
) -> Membership:
    """Make a person with a role. Raises django ValidationError by field (a weak password).

    Coordinators and shelter managers get `is_staff` so they can use the admin,
    where they see only what the API lets them see.
    """
    user_model = get_user_model()
    user = user_model(username=username, is_staff=role in STAFF_ROLES)
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
def api_key_create(*, name: str, scopes: list[str], cities: Iterable, created_by) -> tuple:
    """Make a key; returns (ApiKey, the key in clear). The clear key is never stored."""
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
    api_key.cities.set(cities)
    return api_key, key


@transaction.atomic
def api_key_revoke(*, api_key: ApiKey) -> ApiKey:
    if api_key.revoked_at is None:
        api_key.revoked_at = timezone.now()
        api_key.save(update_fields=["revoked_at"])
    return api_key
