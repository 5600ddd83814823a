"""Answer a retried request with its first answer, and do the work once.

The key's row is inserted in the same transaction as the work. A replay that
arrives while the first request is still running blocks on the unique index
(PostgreSQL) or on the database write lock (SQLite) until the first commits,
then finds the stored answer; if the first failed, nothing was stored and the
replay does the work itself.
"""

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from config.exceptions import Conflict
from privacy.crypto import keyed_digest

from .models import IdempotencyKey

MAX_KEY_LENGTH = 255


class KeyReused(Conflict):
    """The key was used before with another request body."""

    status_code = 422


class InvalidKey(ValueError):
    pass


@dataclass(frozen=True)
class Answer:
    status: int
    body: dict
    replayed: bool


def fingerprint(payload) -> str:
    """A keyed hash of the request body: a plain hash of a short body (a phone) could
    be reversed by guessing."""
    canonical = json.dumps(payload, sort_keys=True, separators=(",", ":"), default=str)
    return keyed_digest(canonical)


def check_key(key: str) -> str:
    if not key or len(key) > MAX_KEY_LENGTH or not key.isascii() or not key.isprintable():
        raise InvalidKey(_("Idempotency-Key must be 1 to 255 printable ASCII characters."))
    return key


def _ttl() -> timedelta:
    return timedelta(hours=settings.IDEMPOTENCY_KEY_TTL_HOURS)


def idempotent(
    *, owner: str, scope: str, key: str, payload, work: Callable[[], tuple[int, dict]]
) -> Answer:
    """Run `work` once per (owner, scope, key); store and replay its answer.

    `work` runs inside this function's transaction and returns (status, body).
    If it raises, nothing is stored and the key stays free.
    """
    check_key(key)
    digest = fingerprint(payload)
    while True:
        with transaction.atomic():
            now = timezone.now()
            IdempotencyKey.objects.filter(
                owner=owner, scope=scope, key=key, created_at__lt=now - _ttl()
            ).delete()
            stored = IdempotencyKey.objects.filter(owner=owner, scope=scope, key=key).first()
            if stored is not None:
                return _replay(stored, digest)
            try:
                with transaction.atomic():
                    record = IdempotencyKey.objects.create(
                        owner=owner,
                        scope=scope,
                        key=key,
                        fingerprint=digest,
                        response_status=0,
                        response_body="",
                        created_at=now,
                    )
            except IntegrityError:
                # A concurrent request with this key committed first: read its answer.
                continue
            status, body = work()
            record.response_status = status
            record.response_body = json.dumps(body, default=str)
            record.save(update_fields=["response_status", "response_body"])
            return Answer(status, body, replayed=False)


def _replay(stored: IdempotencyKey, digest: str) -> Answer:
    if stored.fingerprint != digest:
        raise KeyReused(
            "idempotency_key_reused",
            _("This Idempotency-Key was used with a different request body."),
        )
    return Answer(stored.response_status, json.loads(stored.response_body), replayed=True)


@transaction.atomic
def idempotency_keys_purge() -> int:
    deleted, _detail = IdempotencyKey.objects.filter(
        created_at__lt=timezone.now() - _ttl()
    ).delete()
    return deleted
