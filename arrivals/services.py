"""Writes of parties, placements and matching runs. Each write runs in one transaction:
its own, or (placements_apply) the caller's, whose locks it documents.

Lock order, everywhere, so that two writers never deadlock:
  the city's matching lock (matching runs only) -> spaces (`shelters.services.spaces_lock`)
  -> parties (`parties_lock`). A placement row is only written under its party's lock.
Each helper locks its rows in primary-key order.
"""

import dataclasses
import functools
import logging
import secrets
import time
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING
from uuid import UUID

from celery import signature
from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import (
    DEFAULT_DB_ALIAS,
    IntegrityError,
    OperationalError,
    connection,
    connections,
    transaction,
)
from django.db.models import AutoField, F, Q, Sum
from django.db.models.sql import InsertQuery
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.access import Access
from config.exceptions import Conflict, is_contention
from config.ids import uuid7_texts
from config.outages import UNAVAILABLE
from config.postgresql.base import prepared_cursor
from idempotency.services import Claim, KeyHeld, answer_store, claim_sql
from privacy.crypto import name_digest, phone_digest
from privacy.models import AuditAction, AuditEntry
from privacy.services import audit_record
from shelters.events import space_capacity_data
from shelters.models import City, ShelterStatus, Space
from shelters.services import space_counters_change, spaces_counters_change, spaces_lock
from webhooks.models import EventType
from webhooks.selectors import subscriptions_listening
from webhooks.services import Event, events_emit

from . import matching as engine
from .events import parties_event_emit, party_data, party_event_emit
from .models import (
    ACTIVE_PLACEMENT,
    CODE_ALPHABET,
    CODE_LENGTH,
    MATCHER,
    PARTY_CODE_UNIQUE,
    PARTY_EDITABLE_FIELDS,
    AgeGroup,
    CapacitySnapshot,
    MatchingRun,
    Party,
    PartyEvent,
    PartyMember,
    PartyStatus,
    Placement,
    PlacementStatus,
    RunStatus,
    Sex,
    WaitingReason,
)
from .selectors import (
    cities_capacity_figures,
    engine_member,
    engine_party,
    engine_space,
    family_names_kept,
    matching_snapshot,
    parties_personal_data_visible,
    party_correctable,
    party_correction_refusal,
    party_has_personal_data,
    party_was_placed_in_reach,
    shelters_released_from,
)

if TYPE_CHECKING:
    from django_stubs_ext import StrPromise

logger = logging.getLogger(__name__)

CLOSED_STATUSES = (PartyStatus.DEPARTED, PartyStatus.CANCELLED)
# What `placement_create` takes: a waiting party placed, or a placed one (its beds held,
# not yet checked in) moved.
PLACEABLE_STATUSES = (PartyStatus.WAITING, PartyStatus.PLACED)
RETENTION_ACTOR = "retention"
EXPIRY_ACTOR = "expiry"


def parties_lock(*, party_ids: Iterable, only: tuple[str, ...] = ()) -> dict:
    """Lock the parties' rows (SELECT ... FOR UPDATE) in primary-key order.

    Every write of a party's status or of its placements holds this lock, so a
    party's active placement cannot change while it is held. `only` loads just
    those fields (for callers that lock thousands of parties).
    """
    ids = sorted(set(party_ids), key=str)
    parties = Party.objects.select_for_update().filter(id__in=ids).order_by("id")
    if only:
        parties = parties.only(*only)
    return {party.id: party for party in parties}


# Where a party may go from each status. A party is born `waiting` (registration); every
# later change of its status goes through `_party_transition`, bulk updates included
# (`_party_statuses_to`), so this table is the one place that says which moves exist.
PARTY_TRANSITIONS: Mapping[str, frozenset] = {
    PartyStatus.WAITING: frozenset({PartyStatus.PLACED, PartyStatus.CANCELLED}),
    PartyStatus.PLACED: frozenset(
        {PartyStatus.CHECKED_IN, PartyStatus.WAITING, PartyStatus.CANCELLED}
    ),
    PartyStatus.CHECKED_IN: frozenset({PartyStatus.DEPARTED}),
    PartyStatus.DEPARTED: frozenset(),
    PartyStatus.CANCELLED: frozenset(),
}
# Likewise for placements (`_placement_transition`): held beds are claimed at check-in,
# or given back; beds taken are given back at check-out.
PLACEMENT_TRANSITIONS: Mapping[str, frozenset] = {
    PlacementStatus.HELD: frozenset(
        {PlacementStatus.CHECKED_IN, PlacementStatus.CANCELLED, PlacementStatus.EXPIRED}
    ),
    PlacementStatus.CHECKED_IN: frozenset({PlacementStatus.ENDED}),
    PlacementStatus.ENDED: frozenset(),
    PlacementStatus.EXPIRED: frozenset(),
    PlacementStatus.CANCELLED: frozenset(),
}


# What `_party_transition` changes of a party, for its callers' saves.
PARTY_MOVE_FIELDS = ["status", "status_changed_at", "updated_at", "waiting_reason", "revision"]


def _party_may(party: Party, to_status: str) -> bool:
    return to_status in PARTY_TRANSITIONS[party.status]


def _party_statuses_to(to_status: str) -> list[str]:
    """The statuses from which a party may go to `to_status` (for a bulk UPDATE's filter)."""
    return [status for status, targets in PARTY_TRANSITIONS.items() if to_status in targets]


def _party_transition(
    party: Party, *, to_status: str, actor: str, reason: str = "", at: datetime | None = None
) -> PartyEvent:
    """Move the party (in memory) to `to_status`; returns the history row to save.

    A move that PARTY_TRANSITIONS does not have raises the 409 of the party's status.
    """
    if not _party_may(party, to_status):
        raise _state_conflict(party)
    event = PartyEvent(
        party=party,
        at=at or timezone.now(),
        actor=actor,
        from_status=party.status,
        to_status=to_status,
        reason=reason,
    )
    party.status = to_status
    party.status_changed_at = event.at
    if to_status == PartyStatus.WAITING:
        # Back in the queue: no run has looked at it as it is now.
        party.waiting_reason = WaitingReason.NOT_YET_MATCHED
        party.revision += 1
    return event


def _placement_transition(
    placement: Placement, *, to_status: str, at: datetime | None = None
) -> list[str]:
    """Move the placement (in memory) to `to_status`, stamping when it was checked in or
    ended; returns the fields to save. Only moves of PLACEMENT_TRANSITIONS are made."""
    if to_status not in PLACEMENT_TRANSITIONS[placement.status]:
        raise ValueError(f"placement {placement.id}: {placement.status} -> {to_status}")
    placement.status = to_status
    stamp = "checked_in_at" if to_status == PlacementStatus.CHECKED_IN else "ended_at"
    setattr(placement, stamp, at or timezone.now())
    return ["status", stamp]


def _member_row(position: int, member: Mapping) -> PartyMember:
    """A member as registered or corrected (not saved), with the lookup hash of its
    family name."""
    family_name = member.get("family_name") or None
    return PartyMember(
        position=position,
        given_name=member["given_name"],
        family_name=family_name,
        family_name_digest=name_digest(family_name or ""),
        sex=member.get("sex", Sex.UNSPECIFIED),
        age_group=member.get("age_group", AgeGroup.ADULT),
        needs=list(member.get("needs", [])),
        diet=list(member.get("diet", [])),
    )


def _new_code() -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


def party_register(
    *,
    city: City,
    members: list[dict],
    actor_id: int | None,
    actor: str,
    consent: bool,
    registration_point: str = "",
    contact_phone: str | None = None,
    languages: list[str] | None = None,
    pets: int = 0,
    nights_needed: int = 1,
    notes: str = "",
    claim: Claim | None = None,
    answer: Callable[[Party], tuple[int, dict]] | None = None,
) -> Party:
    """Register an arriving party with its members; returns it with its members loaded
    (`party.members.all()` reads no row), as it was written.

    `possible_duplicate` is set when a party of the same city, not closed, gave the
    same phone (compared by keyed hash). Matching is asked for in the same transaction,
    only if some open space of the city has the free beds for the whole party
    (`matching_request` with `party_size`), and the run is sent to a worker after
    commit.

    With a `claim` (a request's Idempotency-Key, `idempotency.services`), `answer(party)`
    is the request's answer, stored under the key with the party: built before the party
    is written (from the party as it will be), and raises `KeyHeld` (nothing written)
    when another answer holds the key.

    On PostgreSQL everything is one statement (`_Registration.write`): the party, its
    members, its history, the audit entry, the key and the ask for matching. Outside a
    transaction it is the whole registration, with no BEGIN or COMMIT; in a city that an
    integration listens to (a webhook subscription), whose event must be written with
    the party, the statement writes nothing and the registration is done again in a
    transaction with the event.
    """
    if not consent:
        raise Conflict("consent_required", _("The party must consent to registration."))
    rows = [_member_row(position, member) for position, member in enumerate(members)]
    digest = phone_digest(contact_phone) if contact_phone else ""
    now = timezone.now()
    alone = connection.vendor == "postgresql" and not connection.in_atomic_block
    for _attempt in range(10):
        party = Party(
            city=city,
            code=_new_code(),
            registration_point=registration_point,
            contact_phone=contact_phone or None,
            contact_phone_digest=digest,
            languages=languages or [],
            pets=pets,
            nights_needed=nights_needed,
            notes=notes,
            consent=consent,
            size=len(rows),
            priority=sum(engine.member_weight(engine_member(row)) for row in rows),
            waiting_since=now,
            status_changed_at=now,
            created_at=now,
            created_by_id=actor_id,
        )
        _party_as_written(party, rows)
        event = PartyEvent(
            party=party, at=now, actor=actor, from_status="", to_status=PartyStatus.WAITING
        )
        entry = AuditEntry(
            at=now,
            actor_id=actor_id,
            actor=actor,
            action=AuditAction.CREATE,
            object_type="party",
            object_id=str(party.id),
        )
        new = _Registration(party, rows, event, entry, claim, answer)
        if alone:
            written = new.write(alone=True)
            if written is None:
                continue  # the code was taken: draw another
            if written:
                return party
            # A city an integration listens to: done again below, with its event, and
            # so from now on (another code drawn would find it listening again).
            alone = False
        with transaction.atomic():
            if connection.vendor != "postgresql":
                written = new.write_one_by_one()
            else:
                written = new.write(alone=False)
            if written is None:
                continue
            if new.listening:
                party_event_emit(type=EventType.PARTY_REGISTERED, party=party)
            return party
    raise Conflict(  # pragma: no cover - 10 clashes in a row: the code space is exhausted
        "code_space_exhausted", _("No free party code; try again.")
    )


def _party_as_written(party: Party, rows: list[PartyMember]) -> None:
    """A new party as reading it back with `parties_for_display` would give it: its
    members loaded, no placement (Django's private attributes, as prefetch_related
    leaves them)."""
    for instance in (party, *rows):
        instance._state.adding = False
        instance._state.db = DEFAULT_DB_ALIAS
    for row in rows:
        row.party = party
    members_loaded = party.members.all()
    members_loaded._result_cache = rows
    members_loaded._prefetch_done = True  # type: ignore[attr-defined]
    party._prefetched_objects_cache = {"members": members_loaded}  # type: ignore[attr-defined]
    party.shown_placements = []  # type: ignore[attr-defined]  # as parties_for_display: none


@dataclasses.dataclass
class _Registration:
    """The rows of a new party, and the claim of its request with its answer: written by
    `write` (PostgreSQL, one statement) or `write_one_by_one` (SQLite)."""

    party: Party
    rows: list[PartyMember]
    event: PartyEvent
    entry: AuditEntry
    claim: Claim | None
    answer: Callable[[Party], tuple[int, dict]] | None
    # Whether an integration listens to the city (set by the writes; SQLite's do not
    # ask, `events_emit` does).
    listening: bool = True

    def _answers(self) -> tuple[int, list[dict]]:
        """The request's status and its answer, as the party will be written: without and
        (when it gave a phone, which the statement compares) with `possible_duplicate`."""
        assert self.answer is not None, "a claim needs its answer"
        bodies = []
        for duplicate in (False, True)[: 2 if self.party.contact_phone_digest else 1]:
            self.party.possible_duplicate = duplicate
            status, body = self.answer(self.party)
            bodies.append(body)
        return status, bodies

    def write_one_by_one(self) -> bool | None:
        """SQLite (development): the same writes, one by one, in the caller's transaction;
        its write lock is taken at BEGIN (IMMEDIATE), so nothing can come in between.
        None when the party's code is taken."""
        party = self.party
        if Party.objects.filter(code=party.code).exists():
            return None
        party.possible_duplicate = (
            bool(party.contact_phone_digest)
            and _phone_twins(party.city_id, party.contact_phone_digest).exists()
        )
        if self.claim is not None:
            assert self.answer is not None, "a claim needs its answer"
            if not answer_store(self.claim, *self.answer(party)):
                raise KeyHeld
        party.save(force_insert=True)
        PartyMember.objects.bulk_create(self.rows)
        self.event.save(force_insert=True)
        self.entry.save(force_insert=True)
        matching_request(city_id=party.city_id, trigger="registration", party_size=party.size)
        return True

    def write(self, *, alone: bool) -> bool | None:
        """The registration's one statement (`_registration_sql`). `alone`: outside any
        transaction, where it is the whole registration, and writes nothing in a city an
        integration listens to (False: do it again in a transaction, with the event).
        In a transaction, the caller's, the event is the caller's to write. None when the
        party's code is taken (nothing written). Sets `party.possible_duplicate`, and
        sends the matching run it queued (or found queued and never sent) after commit.
        Raises `KeyHeld` when another answer holds the claim's key."""
        party = self.party
        phone = bool(party.contact_phone_digest)
        params: list = [party.city_id]  # whether an integration listens
        if phone:
            params += [party.city_id, party.contact_phone_digest, *CLOSED_STATUSES]
        key: list = []
        if self.claim is not None:
            status, bodies = self._answers()
            key = self.claim.params(status, bodies, party.created_at)
        values = _insert_params(Party, [party])
        del values[_duplicate_column()]  # the statement's own
        params += [*key, *values] if alone else [*values, *key]
        params += _insert_params(PartyMember, self.rows)
        params += _insert_params(PartyEvent, [self.event])
        params += _insert_params(AuditEntry, [self.entry])
        run_id = MatchingRun._meta.pk.get_default()  # the run's, if this statement queues one
        params += [run_id, "registration", party.created_at]
        sql = _registration_sql(
            members=min(len(self.rows), 2),
            phone=phone,
            claim=self.claim is not None,
            alone=alone,
        )
        try:
            with prepared_cursor() as cursor:
                cursor.execute(sql, params)
                listening, written, duplicate, claimed, queued = cursor.fetchone()
        except IntegrityError as error:
            # Alone, a taken code fails the statement (nothing is written): the key was
            # claimed before the party, which must not be written twice.
            if alone and _constraint(error) == PARTY_CODE_UNIQUE:
                return None
            raise
        self.listening = listening
        if not written:
            if not alone:
                return None  # the code was taken (and so the key was not stored)
            if listening:
                return False
            raise KeyHeld  # the key, stored first, was not
        if not claimed:
            raise KeyHeld  # in a transaction, the party written is undone with it
        party.possible_duplicate = duplicate
        if queued is not None:
            _enqueue_run(queued)
        return True


def _constraint(error: IntegrityError) -> str | None:
    """The name of the constraint a PostgreSQL error broke."""
    diag = getattr(error.__cause__, "diag", None)
    return getattr(diag, "constraint_name", None)


@functools.cache
def _insert_fields(model) -> tuple:
    """The fields an INSERT of `model` writes, as Django's bulk_create writes them."""
    return tuple(
        field
        for field in model._meta.local_concrete_fields
        if not (field.primary_key and isinstance(field, AutoField))
    )


def _insert_sql(model, objs: list) -> str:
    """The INSERT of `objs` as Django's compiler writes it: VALUES for one row, UNNEST
    of one array per column for more (the same text for any number of rows)."""
    query = InsertQuery(model)
    query.insert_values(_insert_fields(model), objs, raw=False)
    [(sql, _params)] = query.get_compiler(connection=connection).as_sql()
    return sql


def _insert_params(model, objs: list) -> list:
    """The parameters of `_insert_sql(model, objs)`: each value as the compiler prepares
    it (`pre_save`, then `get_db_prep_save`: stamped, encrypted), one per column of a
    row, or one list per column for the UNNEST of several rows."""
    fields = _insert_fields(model)
    # The connection itself, not its proxy (each field reads it, through a thread-local).
    wrapper = connections[DEFAULT_DB_ALIAS]
    rows = [
        [field.get_db_prep_save(field.pre_save(obj, True), wrapper) for field in fields]
        for obj in objs
    ]
    return rows[0] if len(rows) == 1 else [list(column) for column in zip(*rows, strict=True)]


def _if_written(sql: str, fields, condition: str = "EXISTS (SELECT 1 FROM p)") -> str:
    """An INSERT of `_insert_sql` that inserts only when `condition` holds. A VALUES
    list becomes a SELECT from it, each value cast to its column's type (a NULL or a
    string in a sub-select has none)."""
    if " SELECT * FROM UNNEST(" in sql:
        return f"{sql} WHERE {condition}"
    head, values = sql.split(" VALUES ", 1)
    pieces = values.split("%s")
    types = [fields[i % len(fields)].cast_db_type(connection) for i in range(len(pieces) - 1)]
    casts = [f"%s::{db_type}" for db_type in types]
    values = "".join(piece + cast for piece, cast in zip(pieces, [*casts, ""], strict=True))
    # Django's compiler wrote the SQL; every value is a parameter.
    return f"{head} SELECT * FROM (VALUES {values}) AS v WHERE {condition}"  # noqa: S608


@functools.cache
def _listening_sql() -> str:
    """`subscriptions_listening` of one city as SQL taking the city as its one parameter,
    compiled once (for the registration's statement)."""
    listening = subscriptions_listening(city_ids=[UUID(int=0)]).values("id")[:1]
    sql, params = listening.query.sql_with_params()
    assert len(params) == 1, sql  # the city
    return sql


# A sentinel digest, to check where the duplicate query takes its parameters.
_DUPLICATE_DIGEST = "\x00digest"


def _phone_twins(city_id, digest: str):
    """The parties of the city, not closed, that gave the phone of this digest: a new
    party's `possible_duplicate` is whether there is one."""
    return Party.objects.filter(city_id=city_id, contact_phone_digest=digest).exclude(
        status__in=CLOSED_STATUSES
    )


@functools.cache
def _duplicate_sql() -> str:
    """`_phone_twins` as an EXISTS sub-select: the value of `possible_duplicate` when a
    phone was given, computed by the insert itself from the rows it sees. Its
    parameters: the city, the phone's digest, then CLOSED_STATUSES."""
    duplicate = _phone_twins(UUID(int=0), _DUPLICATE_DIGEST).order_by().values("id")[:1]
    sql, params = duplicate.query.sql_with_params()
    assert list(params[1:]) == [_DUPLICATE_DIGEST, *CLOSED_STATUSES], params
    return sql


@functools.cache
def _duplicate_column() -> int:
    """Where `possible_duplicate` is among the values of a party's INSERT."""
    return [f.attname for f in _insert_fields(Party)].index("possible_duplicate")


@functools.cache
def _registration_sql(*, members: int, phone: bool, claim: bool, alone: bool) -> str:
    """The statement of `_Registration.write`, for a party of one member or more
    (`members`: 1 or 2), with or without a phone, with or without a claim (a request's
    key, stored with its answer), `alone` (outside a transaction) or not. Written once
    from Django's compilers on blank rows: the text does not depend on the values; it is
    on the way of every registration, and compiling it cost more than running it.

    Its CTEs, in the order of their parameters: `l` whether an integration listens to
    the city; `d` whether a party of the city gave the same phone (`possible_duplicate`);
    `k` the claim's key (`idempotency.services.claim_sql`); `p` the party; `m` its
    members, `e` its history, `a` the audit entry; the ask for matching (`ask`, `queued`,
    `unsent`). Alone, the key comes first and the party only if the key was stored and
    no integration listens: a taken code fails the whole statement. In a transaction,
    the party comes first (a taken code inserts nothing, `ON CONFLICT DO NOTHING`) and
    the key only if it was written: a key held by another answer is the caller's to
    roll back. One row: (listening, written, duplicate, claimed, the run to send)."""
    fields = _insert_fields(Party)
    statements = [f"l AS (SELECT EXISTS ({_listening_sql()}) AS listening)"]
    duplicate = f"EXISTS ({_duplicate_sql()})" if phone else "false"
    statements.append(f"d AS (SELECT {duplicate} AS duplicate)")
    bodies = 2 if phone else 1
    condition = "true"
    if alone:
        condition = "NOT (SELECT listening FROM l)"
        if claim:
            key = claim_sql(source="FROM d, l WHERE NOT l.listening", bodies=bodies)
            statements.append(f"k AS ({key})")
            condition += " AND EXISTS (SELECT 1 FROM k)"
    party_sql = _if_written(_insert_sql(Party, [Party()]), fields, condition)
    # `possible_duplicate` is `d`'s: its parameter and cast give way to it.
    column = _duplicate_column()
    head, values = party_sql.split(" (VALUES ", 1)
    pieces = values.split("%s")
    cast = f"::{fields[column].cast_db_type(connection)}"
    assert pieces[column + 1].startswith(cast), party_sql
    pieces[column + 1] = pieces[column + 1][len(cast) :]
    values = "%s".join(pieces[: column + 1]) + "(SELECT duplicate FROM d)"  # noqa: S608
    values += "%s".join(pieces[column + 1 :])
    party_sql = f"{head} (VALUES {values}"
    if not alone:
        party_sql += " ON CONFLICT DO NOTHING"
    statements.append(f"p AS ({party_sql} RETURNING id, city_id, size)")
    if claim and not alone:
        key = claim_sql(source="FROM d WHERE EXISTS (SELECT 1 FROM p)", bodies=bodies)
        statements.append(f"k AS ({key})")
    for name, model, count in (
        ("m", PartyMember, members),
        ("e", PartyEvent, 1),
        ("a", AuditEntry, 1),
    ):
        sql = _insert_sql(model, [model() for _ in range(count)])
        # Several rows are one UNNEST, whose text is the same for any number of rows.
        assert count == 1 or " SELECT * FROM UNNEST(" in sql, sql
        statements.append(f"{name} AS ({_if_written(sql, _insert_fields(model))})")
    # The ask for matching (`matching_request` with the party's size), as a run's id and
    # the time of the ask: only if the party was written.
    statements.append(
        "ask AS (SELECT %s::uuid AS run, p.city_id, %s::varchar AS trigger, "
        "%s::timestamptz AS at, p.size FROM p)"
    )
    statements.append(_run_queue_ctes())
    claimed = "EXISTS (SELECT 1 FROM k)" if claim else "true"
    # Django's SQL, values as parameters.
    return (
        f"WITH {', '.join(statements)} "  # noqa: S608
        f"SELECT l.listening, EXISTS (SELECT 1 FROM p), d.duplicate, {claimed}, "
        "(SELECT id FROM queued UNION ALL SELECT id FROM unsent LIMIT 1) FROM l, d"
    )


def _active_placement(party_id) -> Placement | None:
    return (
        Placement.objects.filter(party_id=party_id, status__in=ACTIVE_PLACEMENT)
        .select_related("space")
        .first()
    )


@contextmanager
def _party_locked(
    party_id, *, access: Access | None = None, action: str = ""
) -> Iterator[tuple[Party, Placement | None, Space | None]]:
    """Lock a party and the space of its active placement, in the global lock order.

    The space is known only from the placement, read before the party is locked; if
    the matcher or a coordinator placed the party in between, the locks are given
    up and taken again (a few times, when this is the outermost transaction; inside
    a caller's transaction the locks could not be given up, so it answers a conflict
    at once) rather than taken out of order. With `access`, the caller must be allowed
    `action` on the party once it is locked (`Access.allows`: a shelter manager only on
    a party placed at their shelter), else PermissionDenied.
    """
    attempts = 1 if connection.in_atomic_block else 3
    for _attempt in range(attempts):
        with transaction.atomic():
            seen = _active_placement(party_id)
            spaces = spaces_lock(space_ids=[seen.space_id] if seen else [])
            party = _one(parties_lock(party_ids=[party_id]), party_id, Party)
            placement = _active_placement(party_id)
            if (placement and placement.id) == (seen and seen.id):
                if access is not None and not access.allows(action, party):
                    left = party_left_reach(access=access, party=party, action=action)
                    raise left or PermissionDenied(_("You may not do this to this party."))
                yield party, placement, spaces.get(placement.space_id) if placement else None
                return
    raise Conflict(
        "concurrent_change", _("The party changed while this was being done; try again.")
    )


def _one(locked: dict, object_id, model):
    """The one row a single-object service locked, or the model's DoesNotExist (a 404)."""
    found = locked.get(object_id if isinstance(object_id, UUID) else UUID(str(object_id)))
    if found is None:
        raise model.DoesNotExist(f"{model.__name__} {object_id} does not exist")
    return found


STATE_CONFLICTS: "dict[str, tuple[str, StrPromise]]" = {
    PartyStatus.WAITING: ("not_placed", gettext_lazy("The party has no bed yet.")),
    PartyStatus.PLACED: ("not_checked_in", gettext_lazy("The party has not been checked in.")),
    PartyStatus.CHECKED_IN: (
        "already_checked_in",
        gettext_lazy("The party is already checked in."),
    ),
    PartyStatus.DEPARTED: ("party_closed", gettext_lazy("The party has departed.")),
    PartyStatus.CANCELLED: ("party_closed", gettext_lazy("The party was cancelled.")),
}


def _state_conflict(party: Party) -> Conflict:
    """The 409 for an action the party's status does not allow: its code says why."""
    code, detail = STATE_CONFLICTS[party.status]
    return Conflict(code, str(detail))


def party_left_reach(*, access: Access, party: Party, action: str) -> Conflict | None:
    """Why the caller may not do `action` to this party, if it was theirs until it left
    (a manager's: placed at their shelter, then gone), as the `409` anyone allowed the
    action gets: a closed party's status, else `not_held_here` (its beds there were given
    up or moved: it waits again, or is held elsewhere). None if it never was theirs."""
    if not access.allows(action) or not party_was_placed_in_reach(access=access, party_id=party.id):
        return None
    if party.status in CLOSED_STATUSES:
        return _state_conflict(party)
    return Conflict(
        "not_held_here", _("The party has no beds held at your shelter any more: nothing was done.")
    )


def party_check_in(*, party_id, access: Access, placement_id: UUID | str | None = None) -> Party:
    """Check a placed party in: its held beds become occupied. The caller's `access` must
    allow `party.check_in` on the party (a shelter manager: placed at their shelter).
    With `placement_id` (the placement a page showed), a party placed elsewhere since
    answers `409 placement_changed` instead of being checked in where it is now held."""
    actor = access.username
    locked = _party_locked(party_id, access=access, action="party.check_in")
    with locked as (party, placement, space):
        if not _party_may(party, PartyStatus.CHECKED_IN) or placement is None:
            raise _state_conflict(party)
        if placement_id is not None and str(placement.id) != str(placement_id):
            raise Conflict(
                "placement_changed",
                _(
                    "The party's beds moved elsewhere since the page was opened: nobody was "
                    "checked in."
                ),
            )
        assert space is not None  # locked with its placement
        space_counters_change(space=space, held=-placement.beds, occupied=placement.beds)
        placement.save(
            update_fields=_placement_transition(placement, to_status=PlacementStatus.CHECKED_IN)
        )
        event = _party_transition(party, to_status=PartyStatus.CHECKED_IN, actor=actor)
        party.save(update_fields=PARTY_MOVE_FIELDS)
        event.save()
        party_event_emit(type=EventType.PARTY_CHECKED_IN, party=party, placement=placement)
        return party


def party_check_out(*, party_id, access: Access) -> Party:
    """Check a party out: its beds are free at once and matching is asked for. The
    caller's `access` must allow `party.check_out` on the party (as `party_check_in`)."""
    actor = access.username
    locked = _party_locked(party_id, access=access, action="party.check_out")
    with locked as (party, placement, space):
        if not _party_may(party, PartyStatus.DEPARTED) or placement is None:
            raise _state_conflict(party)
        assert space is not None  # locked with its placement
        space_counters_change(space=space, occupied=-placement.beds)
        placement.save(
            update_fields=_placement_transition(placement, to_status=PlacementStatus.ENDED)
        )
        event = _party_transition(party, to_status=PartyStatus.DEPARTED, actor=actor)
        party.save(update_fields=PARTY_MOVE_FIELDS)
        event.save()
        party_event_emit(type=EventType.PARTY_CHECKED_OUT, party=party, placement=placement)
        return party


def party_cancel(*, party_id, access: Access, reason: str = "") -> Party:
    """Cancel a waiting or placed party; held beds are freed at once. The caller's
    `access` must allow `party.cancel` on the party."""
    actor = access.username
    locked = _party_locked(party_id, access=access, action="party.cancel")
    with locked as (party, placement, space):
        if not _party_may(party, PartyStatus.CANCELLED):
            raise _state_conflict(party)
        if placement is not None:
            assert space is not None  # locked with its placement
            space_counters_change(space=space, held=-placement.beds)
            placement.save(
                update_fields=_placement_transition(placement, to_status=PlacementStatus.CANCELLED)
            )
        event = _party_transition(
            party, to_status=PartyStatus.CANCELLED, actor=actor, reason=reason
        )
        party.save(update_fields=PARTY_MOVE_FIELDS)
        event.save()
        party_event_emit(type=EventType.PARTY_CANCELLED, party=party, placement=placement)
        return party


def _members_as_given(party_id, members: list[dict]) -> list[dict]:
    """The corrected members, each with every field: a member sent without the key
    `family_name` (a caller who may not see family names never gets them) keeps the family
    name of the member of the same given name (`family_names_kept`)."""
    current = list(PartyMember.objects.filter(party_id=party_id).order_by("position"))
    kept = family_names_kept(current, members)
    given = []
    for position, member in enumerate(members):
        member = dict(member)
        if "family_name" not in member:
            member["family_name"] = kept[position]
        given.append(
            {
                "given_name": member["given_name"],
                "family_name": member.get("family_name") or None,
                "sex": member.get("sex", Sex.UNSPECIFIED),
                "age_group": member.get("age_group", AgeGroup.ADULT),
                "needs": list(member.get("needs", [])),
                "diet": list(member.get("diet", [])),
            }
        )
    return given


def _members_now(party_id) -> list[dict]:
    return [
        {
            "given_name": member.given_name,
            "family_name": member.family_name or None,
            "sex": member.sex,
            "age_group": member.age_group,
            "needs": list(member.needs),
            "diet": list(member.diet),
        }
        for member in PartyMember.objects.filter(party_id=party_id).order_by("position")
    ]


def party_update(
    *,
    party_id,
    access: Access,
    members: list[dict] | None = None,
    on_arrival: bool = False,
    **fields,
) -> Party:
    """Correct a registration while the party waits or is held (placed, not yet checked
    in): its `members` (the whole list) and PARTY_EDITABLE_FIELDS.

    Coordinators may, and the volunteer who registered it for PARTY_EDIT_HOURS
    (`selectors.party_correction_refusal`), checked under the party's lock
    (`_party_locked`: the space of its held placement, then the party). A checked-in,
    departed or cancelled party answers the 409 of its status. Sending what the party
    already holds changes nothing (no history, no new matching).

    A correction of who is in the party or of its pets re-checks a held placement by the
    rules of a hand placement (`placement_refusal`, the party's own beds counting as
    free): one that still fits is kept, its beds following the new size; one that no
    longer fits is released (its beds freed, the party waiting again). A waiting party
    corrected, or one released, is `not_yet_matched` and a matching run is asked for.
    The change is a line of the party's history and an audit entry.

    `on_arrival`: the correction made at the door of the shelter holding the party's
    beds, before checking it in: only its `members`, only while held, by those the rule
    `party.arrival_correct` allows on the party (its shelter's managers, coordinators).
    """
    unknown = set(fields) - set(PARTY_EDITABLE_FIELDS)
    if unknown:
        raise ValueError(f"not editable: {sorted(unknown)}")
    if on_arrival and fields:
        raise ValueError("at the door only the members are corrected")
    now = timezone.now()
    action = "party.arrival_correct" if on_arrival else "party.change"
    with _party_locked(party_id, access=access, action=action) as (
        party,
        placement,
        space,
    ):
        if not on_arrival:
            refusal = party_correction_refusal(access=access, party=party, now=now)
            if refusal is not None:
                raise PermissionDenied(refusal)
        held_now = placement is not None and placement.status == PlacementStatus.HELD
        if not party_correctable(party, placement) or (on_arrival and not held_now):
            raise _state_conflict(party)
        held = placement is not None and placement.status == PlacementStatus.HELD
        changed = [name for name, value in fields.items() if getattr(party, name) != value]
        new_members = None
        if members is not None:
            new_members = _members_as_given(party.id, members)
            if new_members != _members_now(party.id):
                changed.append("members")
            else:
                new_members = None
        if not changed:
            return party
        for name in changed:
            if name != "members":
                setattr(party, name, fields[name])
        update = [name for name in changed if name != "members"]
        if "contact_phone" in changed:
            party.contact_phone = party.contact_phone or None
            party.contact_phone_digest = phone_digest(party.contact_phone or "")
            digest = party.contact_phone_digest
            party.possible_duplicate = bool(digest) and (
                Party.objects.filter(city_id=party.city_id, contact_phone_digest=digest)
                .exclude(status__in=CLOSED_STATUSES)
                .exclude(id=party.id)
                .exists()
            )
            update += ["contact_phone_digest", "possible_duplicate"]
        if new_members is not None:
            rows = [_member_row(position, member) for position, member in enumerate(new_members)]
            PartyMember.objects.filter(party_id=party.id).delete()
            for row in rows:
                row.party = party
            PartyMember.objects.bulk_create(rows)
            party.size = len(rows)
            party.priority = sum(engine.member_weight(engine_member(row)) for row in rows)
            update += ["size", "priority"]
        party.revision += 1
        update += ["revision", "updated_at"]
        PartyEvent.objects.create(
            party=party,
            at=now,
            actor=access.username,
            from_status=party.status,
            to_status=party.status,
            reason=_("corrected: %(fields)s") % {"fields": ", ".join(changed)},
        )
        released = False
        if held and ("members" in changed or "pets" in changed):
            assert placement is not None and space is not None  # locked with its placement
            composition = engine_party(party, PartyMember.objects.filter(party=party))
            misfit = placement_refusal(
                party=party, space=space, composition=composition, keeping=placement
            )
            door = (
                _door_space(party, placement, composition)
                if misfit is not None and on_arrival
                else None
            )
            if misfit is None:
                if placement.beds != party.size:
                    space_counters_change(space=space, held=party.size - placement.beds)
                    placement.beds = party.size
                    placement.save(update_fields=["beds"])
            elif door is not None:
                # They are at this shelter's door: held again in another of its spaces
                # rather than sent across town.
                space_counters_change(space=space, held=-placement.beds)
                placement.save(
                    update_fields=_placement_transition(
                        placement, to_status=PlacementStatus.CANCELLED
                    )
                )
                moved = Placement.objects.create(
                    party=party,
                    space=door,
                    beds=party.size,
                    held_until=placement.held_until,
                    created_by=access.username,
                    reason=_("moved at the door: %(why)s") % {"why": misfit[0]},
                    created_at=now,
                )
                space_counters_change(space=door, held=party.size)
                PartyEvent.objects.create(
                    party=party,
                    at=now,
                    actor=access.username,
                    from_status=party.status,
                    to_status=party.status,
                    reason=_("moved at the door to %(space)s") % {"space": door.name},
                )
                party_event_emit(type=EventType.PARTY_PLACED, party=party, placement=moved)
            else:
                space_counters_change(space=space, held=-placement.beds)
                placement.save(
                    update_fields=_placement_transition(
                        placement, to_status=PlacementStatus.CANCELLED
                    )
                )
                _party_transition(
                    party,
                    to_status=PartyStatus.WAITING,
                    actor=access.username,
                    reason=_("corrected; the held beds no longer fit: %(why)s")
                    % {"why": misfit[0]},
                    at=now,
                ).save()
                update += PARTY_MOVE_FIELDS
                released = True
        if party.status == PartyStatus.WAITING:
            party.waiting_reason = WaitingReason.NOT_YET_MATCHED
            update.append("waiting_reason")
        party.save(update_fields=list(dict.fromkeys(update)))
        audit_record(
            actor_id=access.user_id,
            actor=access.username,
            action=AuditAction.UPDATE,
            object_type="party",
            object_ids=[party.id],
        )
        if party.status == PartyStatus.WAITING and not released:
            # A released hold frees beds, which asks for matching by itself.
            city_id = party.city_id
            transaction.on_commit(
                lambda: matching_request(city_id=city_id, trigger="correction"), robust=True
            )
        return party


def _door_space(party: Party, placement: Placement, composition: engine.Party) -> Space | None:
    """Another space of the shelter holding `placement` that takes the party as corrected
    at its door (who it admits, and enough free beds), the fullest that fits; None if
    none does. Its lock is taken without waiting: the caller holds the party's lock,
    and a space another writer holds (which may wait for this party) is passed over
    rather than waited for."""
    candidates = (
        Space.objects.filter(shelter_id=placement.space.shelter_id)
        .exclude(id=placement.space_id)
        .annotate(free=F("beds") - F("beds_held") - F("beds_occupied"))
        .filter(free__gte=party.size)
        .order_by("free", "id")
        .values_list("id", flat=True)
    )
    for space_id in candidates:
        try:
            with transaction.atomic():
                space = (
                    Space.objects.select_for_update(nowait=True, of=("self",))
                    .select_related("shelter")
                    .get(id=space_id)
                )
        except OperationalError:
            continue  # held by another writer: not waited for
        if (
            placement_refusal(party=party, space=space, composition=composition, keeping=placement)
            is None
        ):
            return space
    return None


def placement_cancel(
    *, placement_id, actor: str, reason: str = "", access: Access | None = None
) -> Placement:
    """Take back a held placement: its beds are freed and the party waits again, not
    placed in that shelter by the matcher for a while (`Placement.unclaimed`).

    With the caller's `access` (a shelter's page: "did not come"), it must allow
    `party.no_show` on the party, checked under the party's lock (a manager: held at
    their shelter)."""
    placement = Placement.objects.get(id=placement_id)
    locked = (
        _party_locked(placement.party_id, access=access, action="party.no_show")
        if access is not None
        else _party_locked(placement.party_id)
    )
    with locked as (party, active, space):
        if active is None or active.id != placement.id or active.status != PlacementStatus.HELD:
            raise Conflict("placement_not_held", _("Only a held placement can be cancelled."))
        assert space is not None  # locked with its placement
        space_counters_change(space=space, held=-active.beds)
        fields = _placement_transition(active, to_status=PlacementStatus.CANCELLED)
        active.reason = (reason or active.reason)[:500]
        active.unclaimed = True
        active.save(update_fields=[*fields, "reason", "unclaimed"])
        event = _party_transition(party, to_status=PartyStatus.WAITING, actor=actor, reason=reason)
        party.save(update_fields=PARTY_MOVE_FIELDS)
        event.save()
        return active


def _hold_until(now: datetime) -> datetime:
    return now + timedelta(hours=settings.PLACEMENT_HOLD_HOURS)


def placement_refusal(
    *, party: Party, space: Space, composition: engine.Party, keeping: Placement | None = None
) -> tuple[str, str] | None:
    """Why `space` cannot take `party` now, as (code, detail); None if it can.

    The caller holds both rows' locks. `composition` is the party as the engine sees
    it (members, pets: as of the party's `revision`). The rules are the engine's
    (docs/matching.md). `keeping` is the party's own held placement, re-checked after a
    correction (`party_update`), in `space` or in the space it would move to at the door:
    the party need not be waiting, and the beds it holds count as free in their space.
    """
    if keeping is None and party.status != PartyStatus.WAITING:
        return "party_not_waiting", _("Only a waiting party can be placed.")
    if space.shelter.city_id != party.city_id:
        return "not_admitted", _("The space is in another city.")
    if space.shelter.status != ShelterStatus.OPEN:
        return "shelter_closed", _("The shelter is closed.")
    if not engine.admits(engine_space(space), composition):
        return "not_admitted", _(
            "The space does not admit this party (who it admits, wheelchair access or pets)."
        )
    own = keeping.beds if keeping is not None and keeping.space_id == space.id else 0
    if space.beds_free + own < party.size:
        return "no_capacity", _("The space has not enough free beds.")
    return None


@transaction.atomic
def placement_create(*, party_id, space_id, actor: str, reason: str = "") -> Placement:
    """Place a party by hand, under the same rules and locks as the matcher.

    A party that is placed but not yet checked in is moved: its held beds are freed
    and it is held in the new space, in one transaction (if the new space refuses it,
    it keeps its old beds).
    """
    held = _active_placement(party_id)  # read unlocked: to lock its space in order
    spaces = spaces_lock(space_ids=[space_id, *([held.space_id] if held else [])])
    space = _one(spaces, space_id, Space)
    party = _one(parties_lock(party_ids=[party_id]), party_id, Party)
    current = _active_placement(party_id)
    if (current and current.id) != (held and held.id):
        raise Conflict(
            "concurrent_change", _("The party changed while this was being done; try again.")
        )
    if current is not None and current.status == PlacementStatus.HELD:
        if current.space_id == space.id:
            raise Conflict("already_placed_here", _("The party is already placed in this space."))
        space_counters_change(space=spaces[current.space_id], held=-current.beds)
        current.save(
            update_fields=_placement_transition(current, to_status=PlacementStatus.CANCELLED)
        )
        _party_transition(
            party, to_status=PartyStatus.WAITING, actor=actor, reason=_("moved")
        ).save()
    composition = engine_party(party, PartyMember.objects.filter(party=party))
    refusal = placement_refusal(party=party, space=space, composition=composition)
    if refusal is not None:
        raise Conflict(*refusal)
    now = timezone.now()
    placement = Placement.objects.create(
        party=party,
        space=space,
        beds=party.size,
        held_until=_hold_until(now),
        created_by=actor,
        reason=reason,
        created_at=now,
    )
    space_counters_change(space=space, held=party.size)
    event = _party_transition(party, to_status=PartyStatus.PLACED, actor=actor, reason=reason)
    party.save(update_fields=PARTY_MOVE_FIELDS)
    event.save()
    party_event_emit(type=EventType.PARTY_PLACED, party=party, placement=placement)
    return placement


def placements_apply(
    *,
    run: MatchingRun,
    proposals: Iterable[engine.Placement],
    compositions: Mapping[str, engine.Party],
    revisions: Mapping[str, int] | None = None,
) -> list:
    """Write the engine's proposals under row locks, re-checking each against the
    current state (status, free beds, shelter open); what no longer fits is left
    waiting for the next run. `compositions` are the parties given to the engine,
    by id, and `revisions` their `revision` as the snapshot read them: a party
    corrected since (`party_update`) is left for the next run, so members and pets are
    those of `compositions`.

    Returns the placements written. The caller's transaction holds the city's
    matching lock.
    """
    proposals = list(proposals)
    if not proposals:
        return []
    spaces = spaces_lock(space_ids=[UUID(proposal.space) for proposal in proposals])
    parties = parties_lock(
        party_ids=[UUID(proposal.party) for proposal in proposals],
        only=("id", "city_id", "code", "status", "size", "revision"),
    )
    now = timezone.now()
    held_until = _hold_until(now)
    placements, events = [], []
    held: defaultdict[UUID, int] = defaultdict(int)
    for proposal in proposals:
        party = parties.get(UUID(proposal.party))
        space = spaces.get(UUID(proposal.space))
        if party is None or space is None:
            continue
        if revisions is not None and party.revision != revisions.get(proposal.party):
            continue  # corrected since the snapshot: the next run sees it as it is
        space.beds_held += held[space.id]  # the beds this loop already gave
        refusal = placement_refusal(
            party=party, space=space, composition=compositions[proposal.party]
        )
        space.beds_held -= held[space.id]
        if refusal is not None:
            continue
        held[space.id] += party.size
        placements.append(
            Placement(
                party=party,
                space=space,
                beds=party.size,
                held_until=held_until,
                created_by=MATCHER,
                run=run,
                created_at=now,
            )
        )
        events.append(_party_transition(party, to_status=PartyStatus.PLACED, actor=MATCHER, at=now))
    spaces_counters_change(changes=[(spaces[sid], beds, 0) for sid, beds in held.items()])
    Placement.objects.bulk_create(placements, batch_size=1000)
    # One UPDATE for all: every placed party has the same new status and time. Each was
    # moved by `_party_transition` above; the filter holds the same table.
    Party.objects.filter(
        id__in=[placement.party_id for placement in placements],
        status__in=_party_statuses_to(PartyStatus.PLACED),
    ).update(status=PartyStatus.PLACED, status_changed_at=now, updated_at=now)
    PartyEvent.objects.bulk_create(events, batch_size=1000)
    parties_event_emit(type=EventType.PARTY_PLACED, parties=[(p.party, p) for p in placements])
    return placements


# How long a run waits for a space's lock while it holds its parties' locks (see
# `_placements_write`) before it gives them back and takes the locks in the global order:
# far below PostgreSQL's deadlock_timeout (1 s), so that the run, not a writer waiting for
# one of its parties, is the one that gives up.
OPTIMISTIC_LOCK_TIMEOUT_MS = 20


class _SpacesChanged(Exception):
    """The optimistic write found a space that no longer takes all its placements."""


def _placements_write(
    *,
    run: MatchingRun,
    proposals: list[engine.Placement],
    compositions: Mapping[str, engine.Party],
    revisions: Mapping[str, int],
    seen: Mapping[str, engine.Space] | None = None,
) -> list[tuple[str, str, str, int]]:
    """`placements_apply` for a matching run on PostgreSQL, in a few statements whatever
    the number of placements, holding the spaces' locks only for the last of them.

    First, optimistically, without the spaces' locks: the proposed parties still waiting
    as the snapshot read them (same `revision`) are moved to `placed` by one UPDATE (which
    locks them), and their placements and history lines are written by COPY. Then the
    spaces' rows are locked and read, and each space is re-checked with the rules of
    `placement_refusal` (free beds, shelter open and in the city, and who the space admits
    if its policy changed since `seen`, the spaces as the engine saw them); the counters
    are written by one UPDATE. The global lock order is spaces before parties, so the wait
    for a space is bounded by OPTIMISTIC_LOCK_TIMEOUT_MS.

    Past that wait, on a deadlock, or when a space no longer takes all it was given (it
    changed since the snapshot: rare), all of this is rolled back to a savepoint and done
    in the global order: the spaces are locked first, the placements checked, and only
    those that fit are written. Returns (placement, party, space, beds) of each placement
    written, ids as text. The caller commits at once.
    """
    if not proposals:
        return []
    try:
        with transaction.atomic():
            return _placements_write_in(
                run=run,
                proposals=proposals,
                compositions=compositions,
                revisions=revisions,
                seen=seen,
                optimistic=True,
            )
    except _SpacesChanged:
        logger.info("matching run %s: spaces changed, placing in the global lock order", run.id)
    except OperationalError as error:
        if not is_contention(error):
            raise  # not another writer in the way (a lock timeout, a deadlock)
        logger.info("matching run %s: spaces busy, placing in the global lock order", run.id)
    return _placements_write_in(
        run=run,
        proposals=proposals,
        compositions=compositions,
        revisions=revisions,
        seen=seen,
        optimistic=False,
    )


def _placements_fitting(
    cursor,
    *,
    run: MatchingRun,
    rows: list,
    spaces: Mapping[str, tuple],
    compositions: Mapping[str, engine.Party],
    seen: Mapping[str, engine.Space] | None,
) -> tuple[list, list]:
    """Of `rows` (placement, party, space, beds), in the engine's order, those the locked
    `spaces` (as `lock_spaces` reads them) take now, and those they do not, by the rules of
    `placement_refusal`. The shelters are read here, after the spaces' locks, as
    `spaces_lock` does: a shelter closing holds them."""
    cursor.execute(
        "SELECT id::text, status, city_id::text, pets_allowed FROM shelters_shelter "
        "WHERE id = ANY(%s::uuid[])",
        [list({row[5] for row in spaces.values()})],
    )
    shelters = {row[0]: row[1:] for row in cursor.fetchall()}
    # Grouped by space, in the engine's order: a space that still has the beds for all
    # its placements, as the engine saw it, is one comparison.
    by_space: defaultdict[str, list] = defaultdict(list)
    for row in rows:
        by_space[row[2]].append(row)
    city_id = str(run.city_id)
    kept: list = []
    dropped: list = []
    for space_id, given in by_space.items():
        space = spaces.get(space_id)
        if space is None:
            dropped.extend(given)
            continue
        beds, beds_held, beds_occupied, admits, wheelchair, shelter_id = space
        shelter_status, shelter_city, pets_allowed = shelters[shelter_id]
        if shelter_city != city_id or shelter_status != ShelterStatus.OPEN:
            dropped.extend(given)
            continue
        was = (seen or {}).get(space_id)
        same = was is not None and (
            was.admits,
            was.wheelchair_accessible,
            was.pets_allowed,
        ) == (admits, wheelchair, pets_allowed)
        free = beds - beds_held - beds_occupied
        if same and free >= sum(row[3] for row in given):
            kept.extend(given)
            continue
        policy = engine.Space(
            id=space_id,
            shelter=shelter_id,
            beds=beds,
            admits=admits,
            wheelchair_accessible=wheelchair,
            pets_allowed=pets_allowed,
        )
        taken = 0
        for row in given:
            size = row[3]
            if free - taken >= size and engine.admits(policy, compositions[row[1]]):
                taken += size
                kept.append(row)
            else:
                dropped.append(row)
    return kept, dropped


def _placements_write_in(
    *,
    run: MatchingRun,
    proposals: list[engine.Placement],
    compositions: Mapping[str, engine.Party],
    revisions: Mapping[str, int],
    seen: Mapping[str, engine.Space] | None,
    optimistic: bool,
) -> list[tuple[str, str, str, int]]:
    now = timezone.now()
    held_until = _hold_until(now)
    waiting, placed = PartyStatus.WAITING.value, PartyStatus.PLACED.value
    space_ids = sorted({proposal.space for proposal in proposals})
    wanted = [proposal for proposal in proposals if proposal.party in revisions]
    # (placement, party, space, beds), in the engine's order. The beds are the party's
    # size as the snapshot read it: a party written is one of the same `revision`.
    planned = [
        (placement_id, proposal.party, proposal.space, len(compositions[proposal.party].members))
        for placement_id, proposal in zip(uuid7_texts(len(wanted)), wanted, strict=True)
    ]
    # The planned parties and their revisions, for `string_to_array(%s, ',')`: tens of
    # thousands of ids go as one text each, not as arrays that the driver would quote
    # element by element. A fixed text, put into the statements below.
    as_read = (
        "unnest(string_to_array(%s, ',')::uuid[], string_to_array(%s, ',')::int[]) "
        "AS d(id, revision)"
    )

    def as_read_params(rows: list) -> list[str]:
        return [
            _sql_list(party_id for _id, party_id, _space, _beds in rows),
            _sql_list(revisions[party_id] for _id, party_id, _space, _beds in rows),
        ]

    with connection.cursor() as cursor:

        def lock_spaces() -> dict:
            cursor.execute(
                "SELECT s.id::text, s.beds, s.beds_held, s.beds_occupied, s.admits, "
                "s.wheelchair_accessible, s.shelter_id::text FROM shelters_space s "
                "WHERE s.id = ANY(%s::uuid[]) ORDER BY s.id FOR UPDATE",
                [space_ids],
            )
            return {row[0]: row[1:] for row in cursor.fetchall()}

        if not optimistic:
            spaces = lock_spaces()
            setattr(run, "spaces_locked_at", time.perf_counter())  # noqa: B010 - not a field
            # The parties still waiting as the snapshot read them, locked (after the
            # spaces: the global order); of them, only those the spaces take now are
            # written.
            cursor.execute(
                f"SELECT p.id::text FROM arrivals_party p JOIN {as_read} ON p.id = d.id "  # noqa: S608
                "WHERE p.status = %s AND p.city_id = %s AND p.revision = d.revision "
                "FOR UPDATE OF p",
                [*as_read_params(planned), waiting, run.city_id],
            )
            still = {row[0] for row in cursor.fetchall()}
            planned, _dropped = _placements_fitting(
                cursor,
                run=run,
                rows=[row for row in planned if row[1] in still],
                spaces=spaces,
                compositions=compositions,
                seen=seen,
            )
        # Placed, if still waiting as the snapshot saw them (same `revision`): locks them.
        # The city's condition changes no row (the snapshot read this city's parties) but
        # lets PostgreSQL look among the city's waiting parties only, not the country's.
        cursor.execute(
            "UPDATE arrivals_party p SET status = %s, status_changed_at = %s, updated_at = %s "  # noqa: S608
            f"FROM {as_read} WHERE p.id = d.id AND p.status = ANY(%s) AND p.status = %s "
            "AND p.city_id = %s AND p.revision = d.revision RETURNING p.id::text, p.code",
            [
                placed,
                now,
                now,
                *as_read_params(planned),
                _party_statuses_to(PartyStatus.PLACED),
                waiting,
                run.city_id,
            ],
        )
        codes = dict(cursor.fetchall())
        chosen = [row for row in planned if row[1] in codes]
        _placement_rows_copy(cursor, run=run, rows=chosen, now=now, held_until=held_until)
        if optimistic:
            # From here the run holds its parties and asks for the spaces' rows: any wait is
            # cut short, so that a writer holding a space and waiting for one of these
            # parties never deadlocks with it.
            cursor.execute(
                "SELECT set_config('lock_timeout', %s, true)", [f"{OPTIMISTIC_LOCK_TIMEOUT_MS}ms"]
            )
            spaces = lock_spaces()
            cursor.execute("SET LOCAL lock_timeout = DEFAULT")
            setattr(run, "spaces_locked_at", time.perf_counter())  # noqa: B010 - not a field
            _kept, dropped = _placements_fitting(
                cursor, run=run, rows=chosen, spaces=spaces, compositions=compositions, seen=seen
            )
            if dropped:
                raise _SpacesChanged  # rolled back: done again, checked before it is written
        held: defaultdict[str, int] = defaultdict(int)
        for _id, _party, space_id, beds in chosen:
            held[space_id] += beds
        if held:
            cursor.execute(
                "UPDATE shelters_space AS s SET beds_held = s.beds_held + d.beds, "
                "updated_at = %s FROM unnest(%s::uuid[], %s::int[]) AS d(id, beds) "
                "WHERE s.id = d.id",
                [now, list(held), list(held.values())],
            )
    if chosen and subscriptions_listening(city_ids=[run.city_id]).exists():
        # Webhooks: the events `placements_apply` sends (party.placed, capacity.changed),
        # built only when some integration listens, and written by one emit.
        shelter_of = {space_id: row[5] for space_id, row in spaces.items()}
        events = [
            Event(
                city_id=run.city_id,
                type=EventType.PARTY_PLACED,
                data=party_data(
                    Party(
                        id=UUID(party_id),
                        city_id=run.city_id,
                        code=codes[party_id],
                        status=PartyStatus.PLACED,
                        size=beds,
                    ),
                    Placement(
                        id=UUID(placement_id),
                        party_id=UUID(party_id),
                        space_id=UUID(space_id),
                        beds=beds,
                        status=PlacementStatus.HELD,
                        held_until=held_until,
                    ),
                    UUID(shelter_of[space_id]),
                ),
            )
            for placement_id, party_id, space_id, beds in chosen
        ]
        events += [
            Event(city_id=run.city_id, type=EventType.CAPACITY_CHANGED, data=space_capacity_data(s))
            for s in Space.objects.filter(id__in=list(held)).select_related("shelter")
        ]
        events_emit(events=events)
    return chosen


def _sql_list(values: Iterable) -> str:
    """Ids or numbers as one comma-separated text, for `string_to_array(%s, ',')::<type>[]`:
    for tens of thousands of them, much less work than an array parameter."""
    return ",".join(map(str, values))


def _placement_rows_copy(cursor, *, run: MatchingRun, rows: list, now, held_until) -> None:
    """The matcher's placements (placement, party, space, beds) and their parties' history
    lines (waiting -> placed), written by COPY. The lines are written as COPY's text
    format directly: ids, numbers and fixed words, none with a tab, newline or backslash."""
    if not rows:
        return
    tail = "\t".join(
        [
            PlacementStatus.HELD.value,
            held_until.isoformat(),
            MATCHER,
            "",
            str(run.id),
            now.isoformat(),
        ]
    )
    with cursor.copy(
        "COPY arrivals_placement (id, party_id, space_id, beds, status, held_until, "
        "created_by, reason, run_id, created_at) FROM STDIN"
    ) as copy:
        copy.write(
            "".join(
                f"{placement_id}\t{party_id}\t{space_id}\t{beds}\t{tail}\n"
                for placement_id, party_id, space_id, beds in rows
            )
        )
    line = "\t".join(
        [now.isoformat(), MATCHER, PartyStatus.WAITING.value, PartyStatus.PLACED.value, ""]
    )
    with cursor.copy(
        "COPY arrivals_partyevent (party_id, at, actor, from_status, to_status, reason) "
        "FROM STDIN"
    ) as copy:
        copy.write("".join(f"{party_id}\t{line}\n" for _id, party_id, _space, _beds in rows))


def placements_expire(*, now: datetime | None = None, batch: int = 500) -> int:
    """Free the beds of held placements past `held_until`; their parties wait again.

    Freed beds announce themselves (shelters.signals.room_available), which asks for
    matching in their cities.
    """
    now = now or timezone.now()
    expired = 0
    while True:
        due = list(
            Placement.objects.filter(status=PlacementStatus.HELD, held_until__lt=now).values_list(
                "id", "space_id", "party_id"
            )[:batch]
        )
        if not due:
            return expired
        with transaction.atomic():
            spaces = spaces_lock(space_ids=[space_id for _, space_id, _ in due])
            parties = parties_lock(party_ids=[party_id for _, _, party_id in due])
            placements = Placement.objects.filter(
                id__in=[placement_id for placement_id, _, _ in due],
                status=PlacementStatus.HELD,
                held_until__lt=now,
            )
            freed: defaultdict[UUID, int] = defaultdict(int)
            events = []
            for placement in placements:
                party = parties[placement.party_id]
                freed[placement.space_id] += placement.beds
                fields = _placement_transition(placement, to_status=PlacementStatus.EXPIRED, at=now)
                placement.unclaimed = True
                events.append(
                    _party_transition(party, to_status=PartyStatus.WAITING, actor=EXPIRY_ACTOR)
                )
                placement.save(update_fields=[*fields, "unclaimed"])
                party.save(update_fields=PARTY_MOVE_FIELDS)
            spaces_counters_change(changes=[(spaces[sid], -beds, 0) for sid, beds in freed.items()])
            PartyEvent.objects.bulk_create(events)
            parties_event_emit(
                type=EventType.PARTY_EXPIRED,
                parties=[(parties[placement.party_id], placement) for placement in placements],
            )
            expired += len(events)
        if len(due) < batch:
            return expired


def space_counters_repair(*, space_ids: Iterable | None = None) -> list:
    """Recompute spaces' held and occupied counters from their placements.

    The counters are kept by every write under the space lock; this is the net
    under them (a bug, a manual database edit). Returns the ids it corrected.
    """
    ids = (
        list(space_ids)
        if space_ids is not None
        else list(Space.objects.values_list("id", flat=True))
    )
    corrected = []
    for start in range(0, len(ids), 200):
        with transaction.atomic():
            spaces = spaces_lock(space_ids=ids[start : start + 200])
            sums = {
                row["space_id"]: row
                for row in Placement.objects.filter(space_id__in=spaces)
                .values("space_id")
                .annotate(
                    held=Sum("beds", filter=Q(status=PlacementStatus.HELD), default=0),
                    occupied=Sum("beds", filter=Q(status=PlacementStatus.CHECKED_IN), default=0),
                )
            }
            for space in spaces.values():
                row = sums.get(space.id, {"held": 0, "occupied": 0})
                if (space.beds_held, space.beds_occupied) != (row["held"], row["occupied"]):
                    logger.warning(
                        "space %s counters repaired: held %s->%s occupied %s->%s",
                        space.id,
                        space.beds_held,
                        row["held"],
                        space.beds_occupied,
                        row["occupied"],
                    )
                    space.beds_held, space.beds_occupied = row["held"], row["occupied"]
                    # Beds are never lowered here: if the placements say more people are
                    # in the space than it has beds, the beds grow to hold them.
                    space.beds = max(space.beds, space.beds_held + space.beds_occupied)
                    space.version += 1
                    space.save(update_fields=["beds", "beds_held", "beds_occupied", "version"])
                    corrected.append(space.id)
    return corrected


def parties_personal_data_show(*, access: Access, parties: Iterable[Party]) -> set:
    """The one way a party's family names and phone are shown (API, web pages, admin,
    a replayed registration): returns the ids of `parties` whose personal data the
    caller may see (`selectors.parties_personal_data_visible`), and records a read in
    the audit trail for each of them that holds any. The caller drops the personal
    fields of every other party from what it shows."""
    parties = list(parties)
    shown = parties_personal_data_visible(access=access, parties=parties)
    read = [party.id for party in parties if party.id in shown and party_has_personal_data(party)]
    if read:
        audit_record(
            actor_id=access.user_id,
            actor=access.username,
            action=AuditAction.READ,
            object_type="party",
            object_ids=read,
        )
    return shown


def personal_data_erase(*, now: datetime | None = None, batch: int = 500) -> int:
    """Erase names, phones and free texts of parties closed longer than the retention
    period (settings.PERSONAL_DATA_RETENTION_DAYS after they departed or were cancelled).

    Given names become blank, family names, phones and their digests go, and so do
    the notes and the reasons written on the party's history and placements (free
    text that may name someone). The party, its size, its members' sex, age groups,
    needs and diets stay, for the counts. Each batch is one transaction holding the
    parties' locks (`parties_lock`); every erased party gets an audit entry.
    Returns the number of parties erased.
    """
    now = now or timezone.now()
    cutoff = now - timedelta(days=settings.PERSONAL_DATA_RETENTION_DAYS)
    due = Q(
        status__in=CLOSED_STATUSES,
        status_changed_at__lt=cutoff,
        personal_data_erased_at__isnull=True,
    )
    erased = 0
    while True:
        candidates = list(
            Party.objects.filter(due).order_by("id").values_list("id", flat=True)[:batch]
        )
        if not candidates:
            return erased
        with transaction.atomic():
            locked = parties_lock(party_ids=candidates)
            party_ids = list(
                Party.objects.filter(due, id__in=locked).order_by("id").values_list("id", flat=True)
            )
            Party.objects.filter(id__in=party_ids).update(
                contact_phone=None, contact_phone_digest="", notes="", personal_data_erased_at=now
            )
            PartyMember.objects.filter(party_id__in=party_ids).update(
                given_name="", family_name=None, family_name_digest=""
            )
            PartyEvent.objects.filter(party_id__in=party_ids).exclude(reason="").update(reason="")
            Placement.objects.filter(party_id__in=party_ids).exclude(reason="").update(reason="")
            audit_record(
                actor_id=None,
                actor=RETENTION_ACTOR,
                action=AuditAction.ERASE,
                object_type="party",
                object_ids=party_ids,
            )
        erased += len(party_ids)
        if len(candidates) < batch:
            return erased


# --- Matching runs ---------------------------------------------------------------

STALE_QUEUED_SECONDS = 60
LOCK_WAIT_SECONDS = 90


# The task `arrivals.tasks.matching_run` registers under this name. Services send it by
# name: tasks import services, never the other way round.
MATCHING_RUN_TASK = "arrivals.tasks.matching_run"


def _enqueue_run(run_id) -> None:
    """Send the run to a worker after commit. If the broker is out of reach, the request
    that asked still succeeds (its writes are committed): the error is logged and the run
    is marked as never sent, so that the next ask (a registration's too) or the timer
    sends it again at once, not a minute later (see `matching_request`)."""
    task = signature(MATCHING_RUN_TASK, args=(str(run_id),))

    def send() -> None:
        try:
            task.delay()
        except UNAVAILABLE as error:
            logger.error("matching run %s not sent, broker unreachable: %s", run_id, error)
            MatchingRun.objects.filter(id=run_id, status=RunStatus.QUEUED).update(
                enqueued_at=NEVER_SENT
            )

    transaction.on_commit(send, robust=True)


# `enqueued_at` of a run whose sending failed: older than any, so that the next ask sends it.
NEVER_SENT = datetime(2000, 1, 1, tzinfo=UTC)


def _run_queue_ctes() -> str:
    """Two CTEs that queue a matching run, written by hand (they are on the way of every
    registration, and Django would build the same SQL again each time). They read the
    ask from a CTE `ask` of the statement, one row of (`run`: the new run's id,
    `city_id`, `trigger`, `at`: the time of the ask, `size`: a party's size or NULL).
    `queued` inserts the run unless one is queued for the city already or (with a size)
    no open space has that many free beds; `unsent`, when none was inserted, takes the
    queued run whose sending failed (`NEVER_SENT`) to send it again. Each returns the
    run's id."""
    queued, space_open = RunStatus.QUEUED.value, ShelterStatus.OPEN.value
    never = NEVER_SENT.isoformat()
    # Constants of the module; the values come from `ask`.
    return (
        "queued AS (INSERT INTO arrivals_matchingrun (id, city_id, status, trigger, "  # noqa: S608
        "requested_at, enqueued_at, placed_parties, placed_people, waiting_parties, unplaced, "
        f"error) SELECT ask.run, ask.city_id, '{queued}', ask.trigger, ask.at, ask.at, 0, 0, 0, "
        "'[]'::jsonb, '' FROM ask WHERE ask.size IS NULL OR EXISTS (SELECT 1 "
        "FROM shelters_space s JOIN shelters_shelter h ON h.id = s.shelter_id "
        f"WHERE h.city_id = ask.city_id AND h.status = '{space_open}' "
        # The condition of the index space_free_beds, for PostgreSQL to read it.
        "AND s.beds > s.beds_held + s.beds_occupied "
        "AND s.beds >= s.beds_held + s.beds_occupied + ask.size) "
        "ON CONFLICT DO NOTHING RETURNING id), "
        "unsent AS (UPDATE arrivals_matchingrun m SET enqueued_at = ask.at FROM ask "
        f"WHERE m.city_id = ask.city_id AND m.status = '{queued}' "
        f"AND m.enqueued_at = '{never}'::timestamptz "
        "AND NOT EXISTS (SELECT 1 FROM queued) RETURNING m.id)"
    )


@functools.cache
def _run_queue_sql() -> str:
    """`_run_queue_ctes` as a statement of its own, its row given as parameters."""
    return (
        "WITH ask AS (SELECT %s::uuid AS run, %s::uuid AS city_id, %s::varchar AS trigger, "  # noqa: S608
        f"%s::timestamptz AS at, %s::int AS size), {_run_queue_ctes()} "
        "SELECT id, true FROM queued UNION ALL SELECT id, false FROM unsent"
    )


def _run_queue(*, city_id, trigger: str, party_size: int | None) -> MatchingRun | None:
    """Queue a run for the city in one statement (PostgreSQL), unless one is queued
    already or (with `party_size`) no open space has that many free beds: the run queued;
    else the queued run whose sending failed, taken to be sent again; else None."""
    now = timezone.now()
    run = MatchingRun(
        city_id=city_id, trigger=trigger, status=RunStatus.QUEUED, requested_at=now, enqueued_at=now
    )
    with connection.cursor() as cursor:
        cursor.execute(_run_queue_sql(), [run.id, city_id, trigger, now, party_size])
        row = cursor.fetchone()
    if row is None:
        return None
    run_id, new = row
    if not new:
        return MatchingRun.objects.get(id=run_id)
    run._state.adding = False
    return run


def matching_request(*, city_id, trigger: str, party_size: int | None = None) -> MatchingRun | None:
    """Ask for a matching run of a city. Asks made while a run is queued fold into it.

    At most one run per city is queued (a database constraint): the ask returns it. On
    PostgreSQL the ask is one statement (`INSERT ... ON CONFLICT DO NOTHING`), and the
    run is sent to a worker (after commit) only by the ask that queued it. With
    `party_size` (a registration) the ask is only that statement, and only queues a run
    if some open space of the city has that many free beds: in a full city a
    registration asks nothing (the beds freed later ask, `shelters.signals.room_available`);
    it returns None when it queued nothing. A queued run not sent to a worker for a
    minute is sent again, once a minute at most (its task may have been lost with a
    broker or a worker), by the next ask without `party_size` (the timer asks every
    minute).
    """
    if connection.vendor == "postgresql":
        run = _run_queue(city_id=city_id, trigger=trigger, party_size=party_size)
        if run is not None:
            _enqueue_run(run.id)
            return run
        if party_size is not None:
            return None
    elif (
        party_size is not None
        and not Space.objects.filter(
            shelter__city_id=city_id,
            shelter__status=ShelterStatus.OPEN,
            beds__gte=F("beds_held") + F("beds_occupied") + party_size,
        ).exists()
    ):
        return None
    while True:
        with transaction.atomic():
            run = MatchingRun.objects.filter(city_id=city_id, status=RunStatus.QUEUED).first()
            if run is None:
                if connection.vendor == "postgresql":
                    run = _run_queue(city_id=city_id, trigger=trigger, party_size=None)
                    if run is None:
                        continue  # another ask queued one at this moment: fold into it
                else:
                    run = MatchingRun.objects.create(city_id=city_id, trigger=trigger)
                _enqueue_run(run.id)
                return run
            if trigger not in INCREMENTAL_TRIGGERS and run.trigger in INCREMENTAL_TRIGGERS:
                # Folded into: the run must now look at the whole city (beds freed, ...).
                MatchingRun.objects.filter(id=run.id, status=RunStatus.QUEUED).update(
                    trigger=trigger
                )
            now = timezone.now()
            resend = MatchingRun.objects.filter(
                id=run.id,
                status=RunStatus.QUEUED,
                enqueued_at__lt=now - timedelta(seconds=STALE_QUEUED_SECONDS),
            ).update(enqueued_at=now)
            if resend:
                _enqueue_run(run.id)
            return run


def _lock_key(city_id) -> int:
    return UUID(str(city_id)).int % (2**63)


@contextmanager
def city_matching_lock(city_id) -> Iterator[bool]:
    """One run per city at a time, across processes and machines. Yields whether it is
    held; used inside the run's transaction.

    On PostgreSQL a transaction-level advisory lock (`pg_advisory_xact_lock`): it is
    given back with the transaction's end (commit, rollback, or a connection that
    dies with its worker), never outlives it, and so works behind a connection pooler
    in transaction mode (PgBouncer), where a session lock would stay with a server
    connection that the next transaction of another client may get. It is asked for
    every 0.1 s until LOCK_WAIT_SECONDS; False after that. On SQLite (the development
    default: tasks run in-process) there is nothing to take: SQLite serializes writing
    transactions, and a run that follows another re-checks every placement under its
    locks, so no bed is given twice.
    """
    if connection.vendor != "postgresql":
        yield True
        return
    if not connection.in_atomic_block:
        raise RuntimeError("city_matching_lock is taken inside the run's transaction")
    key = _lock_key(city_id)
    deadline = time.monotonic() + LOCK_WAIT_SECONDS
    with connection.cursor() as cursor:
        while True:
            cursor.execute("SELECT pg_try_advisory_xact_lock(%s)", [key])
            if cursor.fetchone()[0]:
                break
            if time.monotonic() > deadline:
                yield False
                return
            time.sleep(0.1)
    yield True


# Runs that only look at what a registration added (see `matching_run_execute`). Any other
# ask of a city (beds freed or added, a correction, the timer, a coordinator) runs in full.
INCREMENTAL_TRIGGERS = frozenset({"registration"})
# Parties changed this long before the last run's start count as new to the next
# incremental run: the clocks of the machines that stamp them may differ by that much.
INCREMENTAL_MARGIN = timedelta(seconds=5)
# The memory a run's sorts and hashes may take, for its transaction only: PostgreSQL's
# default of 4 MB sends a national city's snapshot (25,000 parties and their 50,000
# members, sorted twice) to disk. A run at a time per worker process.
RUN_WORK_MEM = "64MB"


def matching_run_execute(*, run_id) -> MatchingRun | None:
    """Run the matcher for a queued run: snapshot, solve, apply, record.

    The run is claimed (`running`, committed at once, so that asks made meanwhile queue
    the next run), then done in one transaction holding the city's matching lock
    (`city_matching_lock`): the snapshot and the engine first, then the placements
    written in bulk under the spaces' and parties' locks (`_placements_write` on
    PostgreSQL), which are thus held only for the writing. Safe to run twice: a run
    that is done or failed is left as it is. Other runs of the city still `running`
    when this one holds the lock were claimed while it waited for it, or lost their
    worker (their transaction was rolled back with the connection): they were asked for
    before its snapshot, which covers them, so they end `done` with it, `superseded_by`
    this run (a worker still waiting for the lock then finds its run done).

    A run asked only by registrations (INCREMENTAL_TRIGGERS), after a finished run of the
    city, is incremental: it looks only at the parties registered or changed since that
    run started and at the spaces with free beds; the backlog that run left waiting
    had no space then, and freed beds ask for a full run. A run that covers a full run
    is full.
    """
    started = time.perf_counter()
    claimed = MatchingRun.objects.filter(
        id=run_id, status__in=[RunStatus.QUEUED, RunStatus.RUNNING]
    ).update(status=RunStatus.RUNNING, started_at=timezone.now())
    run = MatchingRun.objects.filter(id=run_id).first()
    if not claimed or run is None:
        return run  # done, failed or gone
    try:
        with transaction.atomic(), city_matching_lock(run.city_id) as locked:
            if not locked:
                # Left `running`: the next run of the city (the timer asks every minute)
                # does its work, and marks it done by it (`superseded_by`).
                logger.warning("matching run %s: city lock busy, left for the next ask", run_id)
                return run
            run = MatchingRun.objects.select_for_update().get(id=run_id)
            if run.status != RunStatus.RUNNING:
                return run  # superseded while it waited for the lock
            if connection.vendor == "postgresql":
                # In one statement: the other runs of the city still `running` (this run
                # does their work), the start of its last finished run (for an incremental
                # run), and the commit told not to wait for its WAL to reach the disk, so
                # the spaces' locks are given back at once (only a crash of the machine,
                # not of PostgreSQL, within about 0.6 s could lose the run, whole: its
                # parties wait again and the next run places them). No JIT compiling for
                # the run's statements: a plan whose estimate is high (the planner's
                # statistics lag behind a big run) would spend more compiling than it
                # runs (an incremental run's few parties: 100 ms).
                with connection.cursor() as cursor:
                    cursor.execute(
                        "SELECT (SELECT array_agg(ARRAY[id::text, trigger]) "
                        "FROM arrivals_matchingrun "
                        "WHERE city_id = %s AND status = %s AND id <> %s), "
                        "(SELECT max(started_at) FROM arrivals_matchingrun "
                        "WHERE city_id = %s AND status = %s), "
                        "set_config('synchronous_commit', 'off', true), "
                        "set_config('jit', 'off', true), "
                        "set_config('work_mem', %s, true)",
                        [
                            run.city_id,
                            RunStatus.RUNNING.value,
                            run.id,
                            run.city_id,
                            RunStatus.DONE.value,
                            RUN_WORK_MEM,
                        ],
                    )
                    covered, last = cursor.fetchone()[:2]
                    covered = covered or []  # [id, trigger] pairs
            else:
                covered = list(
                    MatchingRun.objects.filter(city_id=run.city_id, status=RunStatus.RUNNING)
                    .exclude(id=run_id)
                    .values_list("id", "trigger")
                )
                last = (
                    MatchingRun.objects.filter(city_id=run.city_id, status=RunStatus.DONE)
                    .order_by("-started_at")
                    .values_list("started_at", flat=True)
                    .first()
                )
            # Incremental only if every run it covers could have been.
            since = None
            triggers = [run.trigger, *(trigger for _id, trigger in covered)]
            if last is not None and INCREMENTAL_TRIGGERS.issuperset(triggers):
                since = last - INCREMENTAL_MARGIN
            spaces, parties, revisions = matching_snapshot(city_id=run.city_id, since=since)
            released = shelters_released_from(
                city_id=run.city_id, party_ids=[party.id for party in parties]
            )
            engine_started = time.perf_counter()
            answer = matching_solve(spaces=spaces, parties=parties, released=released)
            run.engine_ms = round((time.perf_counter() - engine_started) * 1000)
            # The list of reasons is saved now, before the spaces are locked (the writes
            # below hold them to the commit): thousands of them in a big city.
            run.unplaced = [{"party": u.party, "reason": u.reason} for u in answer.unplaced]
            fields = ["status", "placed_parties", "placed_people", "waiting_parties"]
            fields += ["finished_at", "duration_ms", "engine_ms"]
            if len(run.unplaced) > 100:
                run.save(update_fields=["unplaced"])
            else:
                fields.append("unplaced")
            if connection.vendor == "postgresql":
                written = _placements_write(
                    run=run,
                    proposals=list(answer.placements),
                    compositions={party.id: party for party in parties},
                    revisions=revisions,
                    seen={space.id: space for space in spaces},
                )
                placed = [(party_id, beds) for _id, party_id, _space, beds in written]
            else:
                placements = placements_apply(
                    run=run,
                    proposals=answer.placements,
                    compositions={party.id: party for party in parties},
                    revisions=revisions,
                )
                placed = [(str(placement.party_id), placement.beds) for placement in placements]
            # The parties' waiting reasons after the placements, as every writer takes its
            # locks: spaces, then parties (written before, a party's lock held while the
            # run waited for a space could deadlock with a writer holding that space).
            _waiting_reasons_set(unplaced=answer.unplaced, revisions=revisions)
            if len(placed) < len(answer.placements):
                placed_ids = {party_id for party_id, _beds in placed}
                run.unplaced += [
                    {"party": proposal.party, "reason": "changed_during_run"}
                    for proposal in answer.placements
                    if proposal.party not in placed_ids
                ]
                fields = [*dict.fromkeys([*fields, "unplaced"])]
            run.status = RunStatus.DONE
            run.placed_parties = len(placed)
            run.placed_people = sum(beds for _party, beds in placed)
            run.waiting_parties = len(parties) - len(placed)
            run.finished_at = timezone.now()
            run.duration_ms = round((time.perf_counter() - started) * 1000)
            run.save(update_fields=fields)
            if covered:
                # Claimed before this run took the lock, so asked for before its snapshot:
                # done by it. A worker still waiting for the lock finds its run done.
                MatchingRun.objects.filter(
                    id__in=[other for other, _trigger in covered], status=RunStatus.RUNNING
                ).update(
                    status=RunStatus.DONE,
                    superseded_by=run,
                    finished_at=run.finished_at,
                    waiting_parties=run.waiting_parties,
                )
    except Exception as error:
        MatchingRun.objects.filter(id=run_id).update(
            status=RunStatus.FAILED, finished_at=timezone.now(), error=repr(error)[:2000]
        )
        raise
    locked_at = getattr(run, "spaces_locked_at", None)
    # How long the spaces' locks were held, to the commit (not stored: logged, and read by
    # the benchmarks).
    lock_ms = round((time.perf_counter() - locked_at) * 1000) if locked_at else 0
    setattr(run, "spaces_lock_ms", lock_ms)  # noqa: B010 - not a field
    logger.info(
        "matching run %s: %s ms, engine %s ms, spaces locked %s ms, placed %s",
        run.id,
        run.duration_ms,
        run.engine_ms,
        lock_ms,
        run.placed_parties,
    )
    return run


def matching_solve(
    *,
    spaces: list[engine.Space],
    parties: list[engine.Party],
    released: Mapping[str, frozenset[str]],
) -> engine.Answer:
    """The engine's answer, with each party of `released` kept out of the shelters it was
    released from lately (`shelters_released_from`): a party that did not come, or whose
    hold a coordinator took back, is not sent straight back there. The others are
    matched first, over every space; then each group of released parties, over the beds
    left outside its shelters (few parties: small runs of the same engine)."""
    if not released:
        return engine.solve(spaces=spaces, parties=parties)
    answer = engine.solve(spaces=spaces, parties=[p for p in parties if p.id not in released])
    placements, unplaced, weight = list(answer.placements), list(answer.unplaced), answer.weight
    size = {party.id: len(party.members) for party in parties}
    taken: defaultdict[str, int] = defaultdict(int)
    for placement in placements:
        taken[placement.space] += size[placement.party]
    groups: defaultdict[frozenset[str], list[engine.Party]] = defaultdict(list)
    for party in parties:
        if party.id in released:
            groups[released[party.id]].append(party)
    for shelters, group in groups.items():
        left = [
            dataclasses.replace(space, beds=space.beds - taken[space.id])
            for space in spaces
            if space.shelter not in shelters
        ]
        more = engine.solve(spaces=left, parties=group)
        for placement in more.placements:
            taken[placement.space] += size[placement.party]
        placements += more.placements
        weight += more.weight
        # A space of a shelter it was released from would admit it: what it lacks now is
        # beds it may be given (the reasons are the engine's only: docs/matching.md).
        withheld = [space for space in spaces if space.shelter in shelters]
        by_id = {party.id: party for party in group}
        unplaced += [
            item
            if item.reason == engine.NO_CAPACITY
            or not any(engine.admits(space, by_id[item.party]) for space in withheld)
            else engine.Unplaced(party=item.party, reason=engine.NO_CAPACITY)
            for item in more.unplaced
        ]
    return engine.Answer(placements=tuple(placements), unplaced=tuple(unplaced), weight=weight)


def _waiting_reasons_set(*, unplaced: Iterable[engine.Unplaced], revisions: Mapping) -> int:
    """Record on each party a run left waiting why, in bulk: one UPDATE per reason and
    revision (nearly always one revision: parties are seldom corrected), never one per
    party. A party corrected or returned to waiting since the snapshot (its revision
    grew) or no longer waiting keeps what it has: the run did not see it as it is.
    The caller's transaction holds the city's matching lock."""
    groups: defaultdict[tuple[str, int], list[UUID]] = defaultdict(list)
    recorded = set(WaitingReason.values)
    for item in unplaced:
        if item.reason in recorded and item.party in revisions:
            groups[(item.reason, revisions[item.party])].append(UUID(item.party))
    updated = 0
    for (reason, revision), party_ids in groups.items():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute(
                    "UPDATE arrivals_party SET waiting_reason = %s WHERE id = ANY(%s) "
                    "AND status = %s AND revision = %s AND waiting_reason <> %s",
                    [reason, party_ids, PartyStatus.WAITING.value, revision, reason],
                )
                updated += cursor.rowcount
            continue
        for start in range(0, len(party_ids), 5000):
            updated += (
                Party.objects.filter(
                    id__in=party_ids[start : start + 5000],
                    status=PartyStatus.WAITING,
                    revision=revision,
                )
                .exclude(waiting_reason=reason)
                .update(waiting_reason=reason)
            )
    return updated


def city_has_waiting(*, city_id) -> bool:
    return Party.objects.filter(city_id=city_id, status=PartyStatus.WAITING).exists()


def matching_request_all(*, trigger: str = "timer") -> list:
    """Ask for a run in every city with waiting parties (the timer)."""
    city_ids = (
        Party.objects.filter(status=PartyStatus.WAITING)
        .values_list("city_id", flat=True)
        .distinct()
        .order_by()
    )
    return [matching_request(city_id=city_id, trigger=trigger) for city_id in city_ids]


@transaction.atomic
def capacity_snapshots_record(*, at: datetime | None = None) -> int:
    """Write every city's figures (`arrivals.selectors.cities_capacity_figures`) as its
    snapshot of the hour that `at` (now by default) falls in; returns how many. Safe to run
    twice: a second run in the same hour replaces that hour's figures. Every city gets one,
    with zeros where it has neither beds nor anyone waiting, so that a chart has no gaps."""
    hour = (at or timezone.now()).replace(minute=0, second=0, microsecond=0)
    figures = cities_capacity_figures()
    empty = dict.fromkeys(
        (
            "beds",
            "beds_free",
            "beds_free_open",
            "beds_held",
            "beds_occupied",
            "waiting_parties",
            "waiting_people",
        ),
        0,
    )
    snapshots = [
        CapacitySnapshot(city_id=city_id, at=hour, **figures.get(city_id, empty))
        for city_id in City.objects.order_by("id").values_list("id", flat=True)
    ]
    CapacitySnapshot.objects.bulk_create(
        snapshots,
        update_conflicts=True,
        unique_fields=["city", "at"],
        update_fields=list(empty),
    )
    return len(snapshots)


@transaction.atomic
def party_duplicate_keep(*, party_id, access: Access) -> Party:
    """A coordinator reviewed a possible duplicate and keeps it as a party of its own: the
    flag is cleared. Holds the party's lock; PermissionDenied unless `access` allows
    `party.possible_duplicate` on it."""
    party = _one(parties_lock(party_ids=[party_id]), party_id, Party)
    if not access.allows("party.possible_duplicate", party):
        raise PermissionDenied(_("You may not do this to this party."))
    if party.possible_duplicate:
        party.possible_duplicate = False
        party.save(update_fields=["possible_duplicate"])
    logger.info("party %s kept as no duplicate by %s", party.code, access.username)
    return party


def party_duplicate_merge(*, party_id, keep_id, access: Access) -> Party:
    """Merge a duplicate registration into the party kept: the duplicate is cancelled
    (`party_cancel`: its held beds are freed, and its history records who merged it and
    into which code). Both must be parties of the same city within the caller's reach
    (a model DoesNotExist, 404, otherwise); `Conflict` where they are one party or in two
    cities, or the duplicate can no longer be cancelled (checked in, gone)."""
    kept = access.scope(Party.objects.all()).get(pk=keep_id)
    duplicate = access.scope(Party.objects.all()).get(pk=party_id)
    if kept.pk == duplicate.pk or kept.city_id != duplicate.city_id:
        raise Conflict("not_a_duplicate", _("These two registrations cannot be merged."))
    if kept.status in CLOSED_STATUSES:
        raise Conflict(
            "not_a_duplicate",
            _("The party to keep has left or was cancelled; keep this one instead."),
        )
    cancelled = party_cancel(
        party_id=duplicate.pk,
        access=access,
        reason=_("Merged: a duplicate of %(code)s") % {"code": kept.code},
    )
    # The pair is reviewed: the party kept is no longer anyone's possible duplicate (the
    # flag may be on it, when the newer registration is the one checked in and kept).
    Party.objects.filter(pk=kept.pk, possible_duplicate=True).update(possible_duplicate=False)
    return cancelled
