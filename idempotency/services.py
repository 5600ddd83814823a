"""Answer a retried request with its first answer, and do the work once.

The work runs first; its answer and the key are then written in one statement
(`INSERT ... ON CONFLICT`), in the same transaction. If the key is already held (a
first request committed it, or is committing it now: the insert waits on the unique
index until that one ends), the transaction is rolled back (nothing of the work stays)
and the stored answer is replayed. A key older than IDEMPOTENCY_KEY_TTL_HOURS is
taken over by the same statement; a periodic task deletes expired keys, not the
requests. On the way of a first request: one statement.
"""

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from config.exceptions import Conflict
from config.postgresql.base import prepared_cursor
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


class _Taken(Exception):
    """The key is held by another answer: roll the work back and replay that one."""


_CLAIM = (
    'INSERT INTO "{table}" (owner, scope, key, fingerprint, response_status, response_body, '
    "created_at) VALUES (%s, %s, %s, %s, %s, %s, %s) "
    "ON CONFLICT (owner, scope, key) DO UPDATE SET fingerprint = EXCLUDED.fingerprint, "
    "response_status = EXCLUDED.response_status, response_body = EXCLUDED.response_body, "
    'created_at = EXCLUDED.created_at WHERE "{table}".created_at < %s RETURNING id'
)


def _claim(*, owner: str, scope: str, key: str, digest: str, status: int, body: dict) -> bool:
    """Store the answer under the key in one statement; False if a live key holds it."""
    now = timezone.now()
    response_body = IdempotencyKey._meta.get_field("response_body")
    stored = response_body.get_db_prep_save(json.dumps(body, default=str), connection)
    if connection.vendor != "postgresql":
        # SQLite (development): the write lock is taken at BEGIN, so nobody can slip
        # in between these statements.
        IdempotencyKey.objects.filter(
            owner=owner, scope=scope, key=key, created_at__lt=now - _ttl()
        ).delete()
        if IdempotencyKey.objects.filter(owner=owner, scope=scope, key=key).exists():
            return False
        IdempotencyKey.objects.create(
            owner=owner,
            scope=scope,
            key=key,
            fingerprint=digest,
            response_status=status,
            response_body=json.dumps(body, default=str),
            created_at=now,
        )
        return True
    with prepared_cursor() as cursor:
        cursor.execute(
            _CLAIM.format(table=IdempotencyKey._meta.db_table),
            [owner, scope, key, digest, status, stored, now, now - _ttl()],
        )
        return cursor.fetchone() is not None


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
        try:
            with transaction.atomic():
                status, body = work()
                if not _claim(
                    owner=owner, scope=scope, key=key, digest=digest, status=status, body=body
                ):
                    raise _Taken
                return Answer(status, body, replayed=False)
        except _Taken:
            pass
        stored = IdempotencyKey.objects.filter(
            owner=owner, scope=scope, key=key, created_at__gte=timezone.now() - _ttl()
        ).first()
        if stored is not None:
            return _replay(stored, digest)
        # Expired or purged in between: do the work again.


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
