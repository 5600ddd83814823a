"""Imports of spreadsheets: checked (a dry run), then imported all or nothing, once.

One code path does both (`import_job_run`): it goes through the file's groups of rows (a
shelter with its spaces, a party with its members, a host offer) inside one transaction,
each group in a savepoint, through the same services as the API (`shelters.services`,
`arrivals.services.party_register`, `shelters.services.host_offer_submit`), so that
matching, counters, webhooks, encryption and the audit trail apply. A group that fails
is rolled back to its savepoint and reported with its lines and reasons. At the end a
check, or an import with any bad row, rolls everything back; an import without one
commits. A check thus reports exactly what the import would do, and writes nothing.

Imports are idempotent by natural keys: a shelter by its name in the city, a space by
its name in the shelter (a row that changes them updates them; the same row again
changes nothing); a register's party by its number in the file, a host offer by its
address (`ImportedRow`): the same again is skipped; a party given again with other
details is corrected as `PATCH /parties/{id}/` corrects it while it waits or is held,
in the columns the file holds (else a bad row; a number given to other people, or the
code of a party of the city, is a bad row too); an offer with other details is a bad
row. Host offers go
through the public form's service (`shelters.services.host_offer_submit`).

Small files run in the request; larger ones (more than SPREADSHEET_INLINE_ROWS rows) in a
Celery worker, which writes the progress as it goes (through a connection of its own,
since the import's transaction is not visible until it ends).
"""

import base64
import hashlib
import json
import logging
import time
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from uuid import UUID

from celery import signature
from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import OperationalError, connections, transaction
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.models import Q
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from rest_framework.exceptions import ValidationError as DrfValidationError

from accounts.access import Access, access_for_user, system_access
from arrivals.models import CODE_ALPHABET, CODE_LENGTH, PARTY_EDITABLE_FIELDS, Party, PartyMember
from arrivals.selectors import members_matched
from arrivals.services import party_register, party_update
from config.exceptions import Conflict, is_contention
from privacy.crypto import keyed_digest, name_normalize
from shelters.models import City, Shelter, Space
from shelters.services import (
    host_offer_submit,
    shelter_create,
    shelter_update,
    shelters_lock,
    space_create,
    space_update,
    spaces_lock,
)

from . import rows as row_shapes
from .models import ImportedRow, ImportJob, ImportKind, ImportMode, ImportStatus
from .readers import FileRefused, Row, Table, table_read

logger = logging.getLogger(__name__)

# At most this many bad rows are kept on a job (all are counted in `errors_count`).
MAX_ERRORS_KEPT = 1000
# Progress is written at most this often (seconds) while a file is gone through.
PROGRESS_EVERY = 0.5
RUN_TASK = "spreadsheets.tasks.import_job_run"

# Outcomes counted in a job's summary.
CREATED = "created"
UPDATED = "updated"
UNCHANGED = "unchanged"


class RowsRefused(Exception):
    """A group of rows that cannot be imported: its errors, each with a line."""

    def __init__(self, errors: list[dict]) -> None:
        super().__init__(errors)
        self.errors = errors


# What the API's messages say with the value in them, said without it: a job's errors name
# columns and reasons, never what a cell held (a name typed in the wrong column).
VALUE_FREE_MESSAGES = {
    "invalid_choice": gettext_lazy("Not one of the values this column takes."),
    "does_not_exist": gettext_lazy("Nothing of that name or id exists here."),
}


def _error(line: int, column: str, message, code: str | None = None) -> dict:
    """A row error; `code` (else the message's own, a DRF ErrorDetail's) may say it
    carries a value, which it then does not."""
    code = code or getattr(message, "code", None) or ""
    return {"line": line, "column": column, "message": str(VALUE_FREE_MESSAGES.get(code, message))}


def _flatten(detail, line: int, column: str = "") -> list[dict]:
    """A DRF or Django error detail as row errors of `line`."""
    if isinstance(detail, dict):
        found = []
        for name, value in detail.items():
            name = "" if name in ("non_field_errors", "__all__") else name
            found += _flatten(value, line, name or column)
        return found
    if isinstance(detail, list | tuple):
        found = []
        for value in detail:
            found += _flatten(value, line, column)
        return found
    return [_error(line, column, detail)]


def _service_errors(error: Exception, line: int, names: dict[str, str] | None = None) -> list[dict]:
    """What a service refused, as row errors; `names` maps a model's field to its column."""
    names = names or {}
    if isinstance(error, DjangoValidationError):
        by_column = error.error_dict.items() if hasattr(error, "error_dict") else [("", [error])]
        return [
            _error(line, names.get(name, "" if name == "__all__" else name), text, one.code)
            for name, found in by_column
            for each in found
            for one in each.error_list
            for text in one
        ]
    if isinstance(error, Conflict):
        column = "beds" if error.code == "capacity_below_occupancy" else ""
        return [_error(line, column, error.detail)]
    if isinstance(error, DrfValidationError):
        return _flatten(error.detail, line)
    raise error


def _kept_name(file_name: str, limit: int = 200) -> str:
    """A file's name as a job keeps it (`ImportJob.file_name`, 200 characters): a longer
    one is shortened before its extension, which says how the file is read."""
    if len(file_name) <= limit:
        return file_name
    stem, dot, extension = file_name.rpartition(".")
    if not dot or len(extension) > 10:
        return file_name[:limit]
    return f"{stem[: limit - len(extension) - 1]}.{extension}"


def _digest(value) -> str:
    return keyed_digest(json.dumps(value, sort_keys=True, default=str, ensure_ascii=False))


@dataclass
class _Run:
    """What one pass over a file found and did."""

    job: ImportJob
    access: Access
    shapes: Any  # the row serializers (`spreadsheets.serializers.ROW_SHAPES`)
    errors: list[dict] = field(default_factory=list)
    errors_count: int = 0
    summary: Counter = field(default_factory=Counter)
    # The parties already in Berth that the file corrects: {"line", "party": its code}.
    corrections: list[dict] = field(default_factory=list)
    progress: Callable[[int], None] = lambda done: None
    _known: dict | None = None

    def known(self, key: str) -> ImportedRow | None:
        """What an earlier import of this kind made under `key` in the city (all of the
        city's keys of this kind read in one query, at the first ask)."""
        if self._known is None:
            rows = ImportedRow.objects.filter(city=self.job.city, kind=self.job.kind)
            self._known = {row.key: row for row in rows}
        return self._known.get(key)

    def remember(self, row: ImportedRow) -> None:
        """A row made by this run: a later row of the same file with its key finds it."""
        self.known(row.key)
        assert self._known is not None
        self._known[row.key] = row

    def correct(self, *, line: int, code: str) -> None:
        if len(self.corrections) < MAX_ERRORS_KEPT:
            self.corrections.append({"line": line, "party": code})

    def refuse(self, errors: Iterable[dict]) -> None:
        for error in errors:
            self.errors_count += 1
            if len(self.errors) < MAX_ERRORS_KEPT:
                self.errors.append(error)


# --- Shelters and spaces -------------------------------------------------------------


def _shelter_groups(table: Table) -> list[tuple[str, list[Row]]]:
    groups: dict[str, list[Row]] = {}
    for row in table.rows:
        groups.setdefault(row.cells.get("shelter", "").strip().casefold(), []).append(row)
    return [(rows[0].cells.get("shelter", ""), rows) for rows in groups.values()]


def _shelter_rows_check(run: _Run, rows: list[Row]) -> list[tuple[Row, dict]]:
    """Each row's validated values; one shelter's details agree across its rows; a space
    is named once."""
    checked, errors = [], []
    first: dict[str, tuple[int, object]] = {}
    spaces: dict[str, int] = {}
    for row in rows:
        shape = run.shapes.shelter_row(data=row_shapes.shelter_row_data(row.cells))
        if not shape.is_valid():
            errors += _flatten(shape.errors, row.line)
            continue
        data = dict(shape.validated_data)
        for name in row_shapes.SHELTER_FIELDS:
            if name not in data:
                continue
            if name in first and first[name][1] != data[name]:
                errors.append(
                    _error(
                        row.line,
                        name,
                        _("Differs from line %(line)s, for the same shelter.")
                        % {"line": first[name][0]},
                    )
                )
            first.setdefault(name, (row.line, data[name]))
        if "space" in data:
            key = data["space"].casefold()
            if key in spaces:
                errors.append(
                    _error(
                        row.line,
                        "space",
                        _("The same space is on line %(line)s.") % {"line": spaces[key]},
                    )
                )
            spaces.setdefault(key, row.line)
        checked.append((row, data))
    if errors:
        raise RowsRefused(errors)
    return checked


SPACE_NAMES = {"name": "space", "wheelchair_accessible": "space_wheelchair_accessible"}


def _shelter_group_apply(run: _Run, name: str, rows: list[Row]) -> None:
    city = run.job.city
    checked = _shelter_rows_check(run, rows)
    line = rows[0].line
    details: dict = {}
    for _row, data in checked:
        for key in row_shapes.SHELTER_FIELDS:
            if key in data:
                details.setdefault(key, data[key])
    found = list(Shelter.objects.filter(city=city, name__iexact=name.strip()))
    if len(found) > 1:
        raise RowsRefused(
            [_error(line, "shelter", _("The city has more than one shelter of this name."))]
        )
    try:
        if not found:
            if "kind" not in details:
                raise RowsRefused([_error(line, "kind", _("A new shelter needs its kind."))])
            shelter = shelter_create(city=city, name=name.strip(), **details)
            run.summary["shelters_" + CREATED] += 1
        else:
            shelter = found[0]
            changes = {k: v for k, v in details.items() if getattr(shelter, k) != v}
            if changes:
                shelter = shelter_update(shelter_id=shelter.id, data=changes)
                run.summary["shelters_" + UPDATED] += 1
            else:
                run.summary["shelters_" + UNCHANGED] += 1
    except (DjangoValidationError, Conflict) as error:
        raise RowsRefused(_service_errors(error, line)) from None
    errors: list[dict] = []
    existing = {space.name.casefold(): space for space in Space.objects.filter(shelter=shelter)}
    for row, data in checked:
        if "space" not in data:
            continue
        values = {"name": data["space"], "beds": data["beds"]}
        if "admits" in data:
            values["admits"] = data["admits"]
        if "space_wheelchair_accessible" in data:
            values["wheelchair_accessible"] = data["space_wheelchair_accessible"]
        space = existing.get(data["space"].casefold())
        try:
            with transaction.atomic():
                if space is None:
                    space_create(shelter=shelter, **values)
                    run.summary["spaces_" + CREATED] += 1
                    continue
                values.pop("name")
                changes = {k: v for k, v in values.items() if getattr(space, k) != v}
                if changes:
                    space_update(space_id=space.id, data=changes)
                    run.summary["spaces_" + UPDATED] += 1
                else:
                    run.summary["spaces_" + UNCHANGED] += 1
        except (DjangoValidationError, Conflict) as error:
            errors += _service_errors(error, row.line, SPACE_NAMES)
    if errors:
        raise RowsRefused(errors)


def _shelters_lock_ahead(run: _Run, table: Table) -> None:
    """Lock the existing shelters a file names, then all their spaces, each by id, before
    its first group. The groups change them in the file's order inside one transaction;
    locked as they came, they would be taken out of the order every other writer keeps
    (shelters, then spaces, each by id: `shelters.services.spaces_lock`), and a writer
    placing or moving a party in two of them could deadlock with the import."""
    names = sorted({name.strip() for name, _rows in _shelter_groups(table) if name.strip()})
    shelter_ids: list[UUID] = []
    for start in range(0, len(names), 500):
        named = Q()
        for name in names[start : start + 500]:
            named |= Q(name__iexact=name)
        shelter_ids += Shelter.objects.filter(named, city=run.job.city).values_list("id", flat=True)
    if shelter_ids:
        shelters_lock(shelter_ids=shelter_ids)
        spaces_lock(
            space_ids=Space.objects.filter(shelter_id__in=shelter_ids).values_list("id", flat=True)
        )


def _shelters_groups(table: Table):
    for name, rows in _shelter_groups(table):
        yield rows, lambda run, name=name, rows=rows: _shelter_group_apply(run, name, rows)


# --- Registers of arrivals -----------------------------------------------------------


def _party_groups(table: Table):
    groups: dict[str, list[Row]] = {}
    for row in table.rows:
        groups.setdefault(row.cells.get("party", "").strip(), []).append(row)
    for reference, rows in groups.items():
        yield (
            rows,
            lambda run, reference=reference, rows=rows: _party_group_apply(run, reference, rows),
        )


def _party_group_apply(run: _Run, reference: str, rows: list[Row]) -> None:
    line = rows[0].line
    if not reference:
        raise RowsRefused(
            [_error(row.line, "party", _("Give the party's number.")) for row in rows]
        )
    data = row_shapes.party_data(rows[0].cells)
    errors = []
    for row in rows[1:]:
        for name, value in row_shapes.party_data(row.cells).items():
            if name in data and data[name] != value:
                errors.append(
                    _error(
                        row.line,
                        name,
                        _("Differs from line %(line)s, for the same party.") % {"line": line},
                    )
                )
            data.setdefault(name, value)
    data["members"] = [row_shapes.member_data(row.cells) for row in rows]
    shape = run.shapes.party(data=data)
    if not shape.is_valid():
        for name, detail in shape.errors.items():
            if name == "members" and isinstance(detail, list) and len(detail) == len(rows):
                for row, member_errors in zip(rows, detail, strict=True):
                    errors += _flatten(member_errors, row.line)
            else:
                errors += _flatten(detail, line, name)
    if errors:
        raise RowsRefused(errors)
    values = dict(shape.validated_data)
    city = run.job.city
    columns = set(rows[0].cells)  # the file's columns (an export's own are not read)
    given = _party_given(values, columns)
    key = keyed_digest(f"party:{reference}")
    content = _digest(given)
    known = run.known(key)
    if known is not None:
        if known.content == content:
            run.summary[UNCHANGED] += 1
            return
        _party_correct(run, known, given, columns, content, line)
        return
    _party_code_check(city, reference, line)
    members = values.pop("members")
    party = party_register(
        city=city,
        members=members,
        actor_id=run.access.user_id,
        actor=run.access.username,
        **values,
    )
    imported = ImportedRow.objects.create(
        city=city,
        kind=ImportKind.PARTIES,
        key=key,
        content=content,
        object_id=party.id,
        job=run.job,
    )
    run.remember(imported)
    run.summary[CREATED] += 1


def _party_given(values: dict, columns: set[str]) -> dict:
    """What a party's rows give: the validated values of the columns the file holds, its
    members with theirs; never a default put in for a column the file does not have (a
    correction from a file with fewer columns changes only those it has, as a PATCH)."""
    given = {
        name: values[name] for name in row_shapes.PARTY_FIELDS if name in columns and name in values
    }
    member_columns = ["given_name", *(n for n in row_shapes.MEMBER_COLUMNS if n in columns)]
    given["members"] = [
        {name: member[name] for name in member_columns if name in member}
        for member in values["members"]
    ]
    return given


def _same_name(given_name: str, _sex, _age_group) -> str:
    """A person in a corrected register is who had that given name (as names are compared:
    `privacy.crypto.name_normalize`), whatever their sex and age now."""
    return name_normalize(given_name)


# A member's columns that a file without them leaves as they are.
MEMBER_KEPT_COLUMNS = ("sex", "age_group", "needs", "diet")


def _members_kept(current: list[PartyMember], members: list[dict]) -> list[dict]:
    """The corrected members, each column the file does not hold taken from the member of
    the same given name as it is now (the n-th of a name from the n-th:
    `arrivals.selectors.members_matched`); a new person gets the defaults of a
    registration. A family name not given is kept by `party_update`."""
    kept = []
    matched = members_matched(current, members, key=_same_name)
    for sent, was in zip(members, matched, strict=True):
        member = dict(sent)
        if was is not None:
            for name in MEMBER_KEPT_COLUMNS:
                if name not in member:
                    value = getattr(was, name)
                    member[name] = list(value) if isinstance(value, list) else value
        kept.append(member)
    return kept


def _party_code_check(city: City, reference: str, line: int) -> None:
    """A party number that is the code of a party already in the city (a parties export
    of this city imported back into it) would register that party a second time."""
    if len(reference) != CODE_LENGTH or set(reference.upper()) - set(CODE_ALPHABET):
        return
    if Party.objects.filter(city=city, code=reference.upper()).exists():
        message = _(
            "This is the code of party %(code)s, already registered in this city: importing "
            "it would register that party twice. An export of this city reads back into "
            "another city or Berth, not into this one."
        )
        raise RowsRefused([_error(line, "party", message % {"code": reference.upper()})])


def _party_correct(
    run: _Run, known: ImportedRow, given: dict, columns: set[str], content: str, line: int
) -> None:
    """A party imported before, given again with other details (a corrected file): it is
    corrected as `PATCH /parties/{id}/` corrects it (`arrivals.services.party_update`:
    its members and PARTY_EDITABLE_FIELDS, while it waits or is held; a held bed that no
    longer fits is released), only in the columns the file holds. A party that has moved
    on (checked in, departed, cancelled), a change of what a correction cannot change,
    or other people under the same number (none of its members' given names: a register
    that numbers its families from 1 again) is a bad row."""
    party = Party.objects.filter(id=known.object_id).first()
    refusal = _(
        "A party with this number was imported before with other details, and can no longer "
        "be corrected from a file (%(why)s): correct it in Berth, or give this one another "
        "number."
    )
    if party is None:
        raise RowsRefused([_error(line, "party", refusal % {"why": _("it was deleted")})])
    current = list(PartyMember.objects.filter(party_id=party.id).order_by("position"))
    if not {name_normalize(m["given_name"]) for m in given["members"]} & {
        name_normalize(member.given_name) for member in current
    }:
        message = _(
            "This number was imported before for other people (party %(code)s): give this "
            "family another number, or list that party's own people to correct it."
        )
        raise RowsRefused([_error(line, "party", message % {"code": party.code})])
    point = given.get("registration_point", party.registration_point)
    if point != party.registration_point:
        why = _("its registration point differs")
        raise RowsRefused([_error(line, "registration_point", refusal % {"why": why})])
    fields = {name: given[name] for name in PARTY_EDITABLE_FIELDS if name in given}
    members = _members_kept(current, given["members"])
    try:
        corrected = party_update(party_id=party.id, access=run.access, members=members, **fields)
    except Conflict as conflict:
        raise RowsRefused([_error(line, "party", refusal % {"why": conflict.detail})]) from None
    except PermissionDenied as denied:
        why = str(denied) or _("you may not correct it")
        raise RowsRefused([_error(line, "party", refusal % {"why": why})]) from None
    known.content = content
    known.job = run.job
    known.save(update_fields=["content", "job"])
    if corrected.revision == party.revision:  # what it holds already: nothing changed
        run.summary[UNCHANGED] += 1
        return
    run.summary[UPDATED] += 1
    run.correct(line=line, code=party.code)


# --- Host offers ----------------------------------------------------------------------

HOST_OFFER_NAMES = {"city": ""}


def _host_offer_groups(table: Table):
    for row in table.rows:
        yield [row], lambda run, row=row: _host_offer_row_apply(run, row)


def _host_offer_row_apply(run: _Run, row: Row) -> None:
    """One offer per row, through the service of the public form (`host_offer_submit`:
    its dates, bounds, encryption and audit), audited as the coordinator's. An address
    already imported in the city is the same offer: skipped when it says the same,
    refused when it says something else (the offer is changed in Berth)."""
    shape = run.shapes.host_offer_row(data=row_shapes.host_offer_row_data(row.cells))
    if not shape.is_valid():
        raise RowsRefused(_flatten(shape.errors, row.line))
    values = dict(shape.validated_data)
    city = run.job.city
    key = keyed_digest("host-offer:" + " ".join(values["address"].casefold().split()))
    content = _digest(values)
    known = run.known(key)
    if known is not None:
        if known.content == content:
            run.summary[UNCHANGED] += 1
            return
        raise RowsRefused(
            [
                _error(
                    row.line,
                    "address",
                    _(
                        "An offer for this address was imported before with other details: "
                        "change it in Berth."
                    ),
                )
            ]
        )
    try:
        offer = host_offer_submit(
            data={**values, "city": city},
            actor_id=run.access.user_id,
            actor=run.access.username,
        )
    except DjangoValidationError as error:
        raise RowsRefused(_service_errors(error, row.line, HOST_OFFER_NAMES)) from None
    assert offer is not None  # no robot, no limit: a coordinator's import is stored
    imported = ImportedRow.objects.create(
        city=city,
        kind=ImportKind.HOST_OFFERS,
        key=key,
        content=content,
        object_id=offer.id,
        job=run.job,
    )
    run.remember(imported)
    run.summary[CREATED] += 1


# --- The runner ------------------------------------------------------------------------

GROUPS = {
    ImportKind.SHELTERS: _shelters_groups,
    ImportKind.PARTIES: _party_groups,
    ImportKind.HOST_OFFERS: _host_offer_groups,
}


def import_kinds_available() -> list[str]:
    """The kinds of import this installation can take."""
    return [kind for kind in ImportKind.values if kind in GROUPS]


class _Progress:
    """Writes a job's `rows_done` while its transaction is open, through a connection of
    its own (PostgreSQL: visible to the page that polls at once). SQLite has one writer
    at a time, so there the progress is written only at the end."""

    def __init__(self, job_id) -> None:
        self.job_id = job_id
        self.last = time.monotonic()
        self.connection: BaseDatabaseWrapper | None = None
        self.enabled = connections["default"].vendor == "postgresql"

    def __call__(self, done: int) -> None:
        now = time.monotonic()
        if not self.enabled or now - self.last < PROGRESS_EVERY:
            return
        self.last = now
        if self.connection is None:  # opened only by a run long enough to show progress
            self.connection = connections.create_connection("default")
        with self.connection.cursor() as cursor:
            cursor.execute(
                f"UPDATE {ImportJob._meta.db_table} SET rows_done = %s WHERE id = %s",  # noqa: S608 - the table's own name
                [done, self.job_id],
            )

    def close(self) -> None:
        if self.connection is not None:
            self.connection.close()


def _imports_lock(*, city_id, kind: str) -> None:
    """One pass at a time over a city's files of one kind (PostgreSQL: an advisory lock
    until the transaction ends). Two imports of the same file sent at once then run one
    after the other: the second finds what the first made and adds nothing, where it
    would otherwise fail on the keys' unique constraint."""
    if connections["default"].vendor != "postgresql":
        return  # SQLite: one writer at a time anyway
    digest = hashlib.blake2b(f"berth-import:{city_id}:{kind}".encode(), digest_size=8)
    key = int.from_bytes(digest.digest(), "big", signed=True)
    with connections["default"].cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(%s)", [key])


def _content_bytes(job: ImportJob) -> bytes:
    return base64.b64decode(job.content)


def _passes(run: _Run, table: Table) -> None:
    if run.job.kind == ImportKind.SHELTERS:
        _shelters_lock_ahead(run, table)
    done = 0
    for rows, apply in GROUPS[ImportKind(run.job.kind)](table):
        try:
            with transaction.atomic():
                apply(run)
        except RowsRefused as refused:
            run.refuse(refused.errors)
        done += len(rows)
        run.progress(done)


# How many times an import is run when another writer's deadlock with it cancels it.
IMPORT_TRIES = 3


def import_job_run(*, job_id, shapes) -> ImportJob | None:
    """Go through a queued job's file: a check writes nothing, an import writes all or
    nothing. Safe to run twice: a job that is not queued is left alone. `shapes` are the
    row serializers (`spreadsheets.serializers.ROW_SHAPES`). Run in the job's language
    (`ImportJob.language`, its sender's): a worker has no request to take one from, and
    the errors are stored as sentences."""
    with transaction.atomic():
        job = ImportJob.objects.select_for_update().select_related("city").filter(id=job_id).first()
        # A running job is run again only when its task is delivered again, after its
        # worker died: what that worker wrote was rolled back with its connection.
        if job is None or job.status not in (ImportStatus.QUEUED, ImportStatus.RUNNING):
            return job
        job.status = ImportStatus.RUNNING
        job.started_at = timezone.now()
        job.rows_done = 0
        job.save(update_fields=["status", "started_at", "rows_done"])
    with translation.override(job.language or settings.LANGUAGE_CODE):
        return _job_run(job, shapes)


def _language_now() -> str:
    """The active language (a request's, set by LocaleMiddleware) as one of LANGUAGES;
    "" when none is active."""
    language = translation.get_language()
    if not language:
        return ""
    try:
        return translation.get_supported_language_variant(language)
    except LookupError:
        return ""


def _job_run(job: ImportJob, shapes) -> ImportJob:
    access = _job_access(job)
    progress = _Progress(job.id)
    run = _Run(job=job, access=access, shapes=shapes, progress=progress)
    failed = False  # the run itself broke (a refused file is the file's fault, not this)
    try:
        table = table_read(
            file_name=job.file_name,
            content=_content_bytes(job),
            columns=row_shapes.COLUMNS[ImportKind(job.kind)],
        )
        for tries_left in reversed(range(IMPORT_TRIES)):
            try:
                with transaction.atomic():
                    _imports_lock(city_id=job.city_id, kind=job.kind)
                    _passes(run, table)
                    if job.mode == ImportMode.CHECK or run.errors_count:
                        transaction.set_rollback(True)
                break
            except OperationalError as error:
                # Cancelled to end a deadlock with another writer: nothing was written;
                # the whole file again, from the start.
                if not is_contention(error) or not tries_left:
                    raise
                logger.info("import %s collided with another writer, run again", job.id)
                run = _Run(job=job, access=access, shapes=shapes, progress=progress)
    except FileRefused as refused:
        run.refuse([_error(0, "", refused.message)])
    except Exception:
        logger.exception("import %s failed", job.id)
        run.refuse([_error(0, "", _("The import failed unexpectedly; nothing was written."))])
        failed = True
    finally:
        progress.close()
    job.errors = run.errors
    job.errors_count = run.errors_count
    job.corrections = run.corrections
    job.summary = dict(run.summary)
    job.rows_done = job.rows_total
    job.finished_at = timezone.now()
    if job.mode == ImportMode.CHECK and not failed:
        job.status = ImportStatus.CHECKED
    else:
        job.status = ImportStatus.FAILED if run.errors_count else ImportStatus.DONE
    if job.status != ImportStatus.CHECKED or run.errors_count:
        job.content = ""  # nothing more will be done with the file
    job.save(
        update_fields=[
            "errors",
            "errors_count",
            "corrections",
            "summary",
            "rows_done",
            "finished_at",
            "status",
            "content",
        ]
    )
    return job


def _job_access(job: ImportJob) -> Access:
    if job.created_by is None:
        return system_access("import")
    return access_for_user(job.created_by)


def _start(job: ImportJob, shapes) -> ImportJob:
    """Run the job now (a small file) or in a worker after commit (a large one): the
    same `import_job_run` either way."""
    if job.rows_total <= settings.SPREADSHEET_INLINE_ROWS:
        return import_job_run(job_id=job.id, shapes=shapes) or job
    job_id = str(job.id)
    transaction.on_commit(lambda: signature(RUN_TASK, args=(job_id,)).apply_async())
    return job


def import_job_create(
    *, user, city: City, kind: str, file_name: str, content: bytes, shapes
) -> ImportJob:
    """Take an uploaded file and check it (a dry run): FileRefused for a file refused
    as a whole (nothing written); else a job, checked at once for a small file, queued
    for a worker for a large one."""
    if kind not in import_kinds_available():
        raise FileRefused(_("This kind of import is not available."), "invalid_kind")
    table = table_read(
        file_name=file_name, content=content, columns=row_shapes.COLUMNS[ImportKind(kind)]
    )
    if not table.rows:
        raise FileRefused(_("The file has no rows below its header."), "empty_file")
    job = ImportJob.objects.create(
        city=city,
        kind=kind,
        file_name=_kept_name(file_name),
        file_format=table.file_format,
        file_sha256=hashlib.sha256(content).hexdigest(),
        content=base64.b64encode(content).decode("ascii"),
        rows_total=len(table.rows),
        created_by=user if getattr(user, "pk", None) else None,
        language=_language_now(),
    )
    return _start(job, shapes)


def import_job_confirm(*, job_id, shapes) -> ImportJob:
    """Import a checked file that had no bad row: all or nothing, checked again as it
    goes (the city may have changed since). Conflict unless the job is such a check."""
    with transaction.atomic():
        job = ImportJob.objects.select_for_update().get(id=job_id)
        if job.mode == ImportMode.IMPORT:
            raise Conflict("already_confirmed", _("This file was already sent to be imported."))
        if job.status != ImportStatus.CHECKED:
            raise Conflict("not_checked", _("The file has not been checked yet."))
        if job.errors_count:
            raise Conflict(
                "has_errors", _("The file has bad rows: correct them and upload it again.")
            )
        if not job.content:
            raise Conflict("file_expired", _("The file is no longer kept: upload it again."))
        job.mode = ImportMode.IMPORT
        job.status = ImportStatus.QUEUED
        job.rows_done = 0
        job.finished_at = None
        job.language = _language_now() or job.language  # who confirms reads its errors
        job.save(update_fields=["mode", "status", "rows_done", "finished_at", "language"])
    return _start(job, shapes)


# A job queued or running this long was lost (a task runs for an hour at most).
STALE_AFTER = timedelta(hours=2)


def import_jobs_purge(*, now: datetime | None = None) -> int:
    """Forget the files of checks never confirmed after SPREADSHEET_KEEP_HOURS (their
    report stays), and fail the jobs that were lost on their way (a request or a worker
    that died, a task never delivered): nothing of them was written."""
    now = now or timezone.now()
    cutoff = now - timedelta(hours=settings.SPREADSHEET_KEEP_HOURS)
    forgotten = (
        ImportJob.objects.filter(created_at__lt=cutoff)
        .exclude(content="")
        .exclude(status__in=[ImportStatus.QUEUED, ImportStatus.RUNNING])
        .update(content="")
    )
    lost = ImportJob.objects.filter(
        status__in=[ImportStatus.QUEUED, ImportStatus.RUNNING],
        created_at__lt=now - STALE_AFTER,
    ).filter(Q(started_at__isnull=True) | Q(started_at__lt=now - STALE_AFTER))
    failed = 0
    for language in set(lost.values_list("language", flat=True)):
        with translation.override(language or settings.LANGUAGE_CODE):
            message = _("The file was lost on its way; nothing was written: upload it again.")
            failed += lost.filter(language=language).update(
                status=ImportStatus.FAILED,
                content="",
                finished_at=now,
                errors_count=1,
                errors=[_error(0, "", message)],
            )
    return forgotten + failed
