"""Answer a retried request with its first answer, and do the work once.

The work runs first; its answer and the key are then written in one statement
(`INSERT ... ON CONFLICT`), in the same transaction. If the key is already held (a
first request committed it, or is committing it now: the insert waits on the unique
index until that one ends), the transaction is rolled back (nothing of the work stays)
and the stored answer is replayed. A key older than IDEMPOTENCY_KEY_TTL_HOURS is
taken over by the same statement; a periodic task deletes expired keys, not the
requests. On the way of a first request: one statement.

A work may store its answer itself, in the statement that does it (`idempotent(...,
stores_answer=True)`: a registration, `arrivals.services.party_register`): it is given
the request's `Claim`, writes the key with `claim_sql` and `Claim.params`, and raises
`KeyHeld` when another answer holds the key (having written nothing). Then a first
request needs no transaction of its own: its one statement is the whole of it.
"""

import functools
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


class KeyHeld(Exception):
    """The key is held by another answer: what was done is undone (or was never
    written), and that answer is replayed."""


@dataclass(frozen=True)
class Claim:
    """A request's key (`owner`, `scope`, `key`) and the fingerprint of its body, to be
    stored with the request's answer."""

    owner: str
    scope: str
    key: str
    digest: str

    def params(self, status: int, bodies: list[dict], now) -> list:
        """The parameters of `claim_sql(bodies=len(bodies))`, in its order."""
        expired = now - _ttl()
        stored = [_stored_body(body) for body in bodies]
        return [self.owner, self.scope, self.key, self.digest, status, *stored, now, expired]


def _stored_body(body: dict) -> str:
    """The answer as the key's row holds it: JSON, encrypted."""
    response_body = IdempotencyKey._meta.get_field("response_body")
    return response_body.get_db_prep_save(json.dumps(body, default=str), connection)


@functools.cache
def claim_sql(*, source: str = "", bodies: int = 1) -> str:
    """The statement storing an answer under a key (PostgreSQL): it inserts the key's row,
    or takes over an expired one, and returns its id; nothing when a live key holds it.
    `source` ends its SELECT (`FROM ... WHERE ...`: a statement's CTEs, for it to insert
    only then). With two `bodies`, the source's boolean `duplicate` picks the first
    (false) or the second (true): an answer that depends on what the statement finds."""
    table = IdempotencyKey._meta.db_table
    body = "%s" if bodies == 1 else "CASE WHEN NOT duplicate THEN %s ELSE %s END"
    assert bodies in (1, 2), bodies
    return (
        f'INSERT INTO "{table}" (owner, scope, key, fingerprint, response_status, '
        f"response_body, created_at) SELECT %s::varchar, %s::varchar, %s::varchar, "
        f"%s::varchar, %s::smallint, {body}, %s::timestamptz {source} "
        "ON CONFLICT (owner, scope, key) DO UPDATE SET fingerprint = EXCLUDED.fingerprint, "
        "response_status = EXCLUDED.response_status, response_body = EXCLUDED.response_body, "
        f'created_at = EXCLUDED.created_at WHERE "{table}".created_at < %s RETURNING id'
    )


def answer_store(claim: Claim, status: int, body: dict) -> bool:
    """Store the answer under the claim's key in one statement, in the caller's
    transaction; False if a live key holds it."""
    now = timezone.now()
    if connection.vendor != "postgresql":
        # SQLite (development): the write lock is taken at BEGIN, so nobody can slip
        # in between these statements.
        key = IdempotencyKey.objects.filter(owner=claim.owner, scope=claim.scope, key=claim.key)
        key.filter(created_at__lt=now - _ttl()).delete()
        if key.exists():
            return False
        IdempotencyKey.objects.create(
            owner=claim.owner,
            scope=claim.scope,
            key=claim.key,
            fingerprint=claim.digest,
            response_status=status,
            response_body=json.dumps(body, default=str),
            created_at=now,
        )
        return True
    with prepared_cursor() as cursor:
        cursor.execute(claim_sql(), claim.params(status, [body], now))
        return cursor.fetchone() is not None


def idempotent(
    *,
    owner: str,
    scope: str,
    key: str,
    payload,
    work: Callable[..., tuple[int, dict]],
    stores_answer: bool = False,
) -> Answer:
    """Run `work` once per (owner, scope, key); store and replay its answer.

    `work` returns (status, body). It runs inside this function's transaction, and its
    answer is stored after it; if it raises, nothing is stored and the key stays free.
    With `stores_answer`, `work(claim)` stores its answer under the key itself (see the
    module's description) and runs in no transaction of this function's.
    """
    check_key(key)
    claim = Claim(owner=owner, scope=scope, key=key, digest=fingerprint(payload))
    while True:
        try:
            if stores_answer:
                status, body = work(claim)
                return Answer(status, body, replayed=False)
            with transaction.atomic():
                status, body = work()
                if not answer_store(claim, status, body):
                    raise KeyHeld
                return Answer(status, body, replayed=False)
        except KeyHeld:
            pass
        stored = IdempotencyKey.objects.filter(
            owner=owner, scope=scope, key=key, created_at__gte=timezone.now() - _ttl()
        ).first()
        if stored is not None:
            return _replay(stored, claim.digest)
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
