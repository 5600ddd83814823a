"""Spreadsheet imports and exports, timed: ``python -m benchmarks.spreadsheets``.

A register of arrivals of PARTIES parties (one row per person, a third of them families
of two or three) and a shelters file of SHELTERS shelters with SPACES_EACH spaces each,
as XLSX and as CSV, go through what `POST /imports/` and `POST /imports/{id}/confirm/` do
(`spreadsheets.services.import_job_run`, in-process: the worker runs the same function):
reading the file, the check (every row registered, then rolled back), the import (one
transaction), the same file checked again (all unchanged). Then the parties are exported
as CSV and XLSX with their names (`spreadsheets.selectors.parties_export` and the
renderers).

Needs PostgreSQL: BENCH_POSTGRES (a server URL without a database name), by default this
machine's postgres://postgres@127.0.0.1:5432. Works in its own database
(`berth_bench_sheets`, made again each run, dropped at the end). Writes the part of
docs/benchmarks.md between ``<!-- spreadsheets:start -->`` and ``<!-- spreadsheets:end -->``.
"""

from __future__ import annotations

import argparse
import csv
import io
import os
import re
import subprocess
import sys
import time
from pathlib import Path

from benchmarks.server import machine

ROOT = Path(__file__).resolve().parent.parent
DOC = ROOT / "docs" / "benchmarks.md"
START = "<!-- spreadsheets:start -->"
END = "<!-- spreadsheets:end -->"
DATABASE = "berth_bench_sheets"
PARTIES = 3000
SHELTERS = 200
SPACES_EACH = 5


def _server() -> str:
    return os.environ.get("BENCH_POSTGRES", "postgres://postgres@127.0.0.1:5432")


def _database(create: bool) -> None:
    import psycopg

    with psycopg.connect(f"{_server()}/postgres", autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {DATABASE} WITH (FORCE)")
        if create:
            conn.execute(f"CREATE DATABASE {DATABASE}")


def register_rows() -> list[list]:
    rows = [["party", "given_name", "family_name", "sex", "age_group", "contact_phone", "consent"]]
    for number in range(1, PARTIES + 1):
        phone = f"+7 701 {number // 10000:03d} {number // 100 % 100:02d} {number % 100:02d}"
        rows.append(
            [str(number), f"Aigerim {number}", "Nurlanova", "female", "adult", phone, "yes"]
        )
        for child in range(number % 3):
            rows.append(
                [str(number), f"Child {number}-{child}", "Nurlanova", "male", "child", "", ""]
            )
    return rows


def shelter_rows() -> list[list]:
    rows = [["shelter", "kind", "address", "space", "beds", "admits"]]
    for number in range(SHELTERS):
        for space in range(SPACES_EACH):
            rows.append(
                [f"School {number}", "school", f"Street {number}", f"Hall {space}", 40, "anyone"]
            )
    return rows


def as_csv(rows: list[list]) -> bytes:
    buffer = io.StringIO()
    csv.writer(buffer).writerows(rows)
    return buffer.getvalue().encode("utf-8")


def as_xlsx(rows: list[list]) -> bytes:
    import openpyxl

    workbook = openpyxl.Workbook(write_only=True)
    sheet = workbook.create_sheet()
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _timed(action) -> tuple[float, object]:
    start = time.perf_counter()
    result = action()
    return time.perf_counter() - start, result


def measure() -> dict:
    from accounts.models import Role
    from arrivals.models import Party
    from spreadsheets import services
    from spreadsheets.models import ImportJob, ImportKind
    from spreadsheets.readers import table_read
    from spreadsheets.renderers import table_csv, table_xlsx
    from spreadsheets.rows import COLUMNS
    from spreadsheets.selectors import parties_export, parties_for_export
    from spreadsheets.serializers import ROW_SHAPES
    from tests import factories

    city = factories.CityFactory(name="Uralsk")
    coordinator = factories.member(Role.COORDINATOR, cities=[city], username="bench")
    figures: dict = {}
    files = {
        ImportKind.PARTIES: register_rows(),
        ImportKind.SHELTERS: shelter_rows(),
    }
    for kind, rows in files.items():
        for fmt, content in (("xlsx", as_xlsx(rows)), ("csv", as_csv(rows))):
            key = f"{kind}-{fmt}"
            figures[f"{key}-rows"] = len(rows) - 1
            figures[f"{key}-kb"] = len(content) / 1024
            name = f"f.{fmt}"
            start = time.perf_counter()
            table_read(file_name=name, content=content, columns=COLUMNS[kind])
            figures[f"{key}-read"] = time.perf_counter() - start
            start = time.perf_counter()
            job = services.import_job_create(
                user=coordinator,
                city=city,
                kind=kind,
                file_name=name,
                content=content,
                shapes=ROW_SHAPES,
            )
            figures[f"{key}-check"] = time.perf_counter() - start
            assert job.status == "checked" and not job.errors_count, job.errors[:3]
            if fmt == "xlsx":
                start = time.perf_counter()
                job = services.import_job_confirm(job_id=job.id, shapes=ROW_SHAPES)
                figures[f"{key}-import"] = time.perf_counter() - start
                assert job.status == "done", job.errors[:3]
            else:  # the same rows again: everything unchanged
                assert set(job.summary) <= {"unchanged", "shelters_unchanged", "spaces_unchanged"}
                figures[f"{key}-again"] = figures[f"{key}-check"]
    figures["parties"] = Party.objects.count()
    parties = list(parties_for_export(city=city))
    shown = {party.id for party in parties}
    figures["export-build"], table = _timed(
        lambda: parties_export(city=city, parties=parties_for_export(city=city), personal_ids=shown)
    )
    figures["export-rows"] = len(table.rows)
    figures["export-csv"], _ = _timed(lambda: table_csv(table))
    figures["export-xlsx"], _ = _timed(lambda: table_xlsx(table))
    figures["jobs"] = ImportJob.objects.count()
    return figures


def _table_rows(f: dict) -> str:
    lines = []
    for kind, label in (("parties", "register"), ("shelters", "shelters")):
        for fmt in ("xlsx", "csv"):
            key = f"{kind}-{fmt}"
            cells = [
                f"{label}, {fmt.upper()}",
                f"{f[key + '-kb']:,.0f} KB",
                f"{f[key + '-read']:.2f} s",
                f"{f[key + '-check']:.1f} s" if fmt == "xlsx" else "",
                f"{f[key + '-import']:.1f} s" if fmt == "xlsx" else "",
                f"{f[key + '-again']:.1f} s" if fmt == "csv" else "",
            ]
            lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def write_doc(f: dict) -> None:
    register, shelters = "parties", "shelters"
    section = f"""{START}
## Spreadsheet imports and exports

What `POST /imports/` (the check) and `POST /imports/{{id}}/confirm/` (the import) do, run
in-process as the worker runs it, on PostgreSQL. A register of arrivals of {PARTIES:,}
parties ({f[f"{register}-xlsx-rows"]:,} rows, one per person, every party with a phone
and family names, so each registration encrypts, hashes and audits), and {SHELTERS}
shelters with {SPACES_EACH} spaces each ({f[f"{shelters}-xlsx-rows"]:,} rows).

| file | size | read | check (dry run) | import | the same file again |
| --- | --- | --- | --- | --- | --- |
{_table_rows(f)}

"Check" and "import" include reading the file. The export of the {f["parties"]:,} parties
with their names ({f["export-rows"]:,} rows): built in {f["export-build"]:.2f} s, written
as CSV in {f["export-csv"]:.2f} s and as XLSX in {f["export-xlsx"]:.2f} s.

Machine: {machine()}. Reproduce: `.venv/bin/python -m benchmarks.spreadsheets` (needs
PostgreSQL; see the module's docstring).
{END}"""
    text = DOC.read_text()
    if START in text and END in text:
        text = re.sub(
            re.escape(START) + ".*?" + re.escape(END), lambda _: section, text, flags=re.S
        )
    else:
        text = text.rstrip("\n") + "\n\n" + section + "\n"
    DOC.write_text(text)


def main(argv: list[str] | None = None) -> int:
    argparse.ArgumentParser(prog="python -m benchmarks.spreadsheets").parse_args(argv)
    try:
        _database(create=True)
    except Exception as error:  # noqa: BLE001 - any failure means the server is not there
        print(f"benchmarks.spreadsheets skipped: needs PostgreSQL ({error})")
        return 0
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.local",
        "DATABASE_URL": f"{_server()}/{DATABASE}",
        "REDIS_URL": "",
        "DEBUG": "0",
        "SPREADSHEET_INLINE_ROWS": "1000000",
    }
    try:
        subprocess.run(
            [sys.executable, "manage.py", "migrate", "--noinput", "-v0"],
            cwd=ROOT,
            env=env,
            check=True,
        )
        os.environ.update(env)
        import django

        django.setup()
        figures = measure()
        write_doc(figures)
        print(DOC.read_text().split(START, 1)[1].split(END, 1)[0])
    finally:
        from django.db import connections

        connections.close_all()
        _database(create=False)
    return 0


if __name__ == "__main__":
    sys.exit(main())
