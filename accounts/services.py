"""Writes of members and API keys. Every function here is atomic."""

import secrets
from collections.abc import Iterable

from django.contrib.auth import get_user_model
from django.contrib.auth.password_validation import validate_password
from django.db import transaction
from django.utils import timezone

from .authentication import PREFIX_LENGTH, api_key_digest
from .models import ApiKey, Membership


@transaction.atomic
def member_create(
    *, username: str, password: str, role: str, cities: Iterable = (), shelters: Iterable = ()
) -> Membership:
    user_model = get_user_model()
    user = user_model(username=username)
    validate_password(password, user)
    user.set_password(password)
    user.full_clean(exclude=["password"])
    user.save()
    membership = Membership.objects.create(user=user, role=role)
    membership.cities.set(cities)
    membership.shelters.set(shelters)
    return membership


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
