"""The restore drill, timed: ``python -m benchmarks.restore``.

A national-size city (benchmarks/instances.py `national`: 25,000 parties, 52,463 people,
2,000 spaces), every party with an encrypted phone and its first member with an encrypted
family name, after one matching run (placements and bed counters), is dumped as
docs/operations.md says (`pg_dump --format=custom`), restored into a new, empty database
(`pg_restore --no-owner`), and checked as the drill asks: `manage.py migrate --check`, the
same parties and bed counters, the personal data readable with the key.

Needs PostgreSQL: BENCH_POSTGRES (a server URL without a database name), by default this
machine's postgres://postgres@127.0.0.1:5432. Works in its own databases (`berth_restore_src`
and `berth_restore_dst`, made again each run, dropped at the end). Writes the part of
docs/benchmarks.md between ``<!-- restore:start -->`` and ``<!-- restore:end -->``.
"""

from __future__ import annotations

import argparse
import os
import platform
import re
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DOC = ROOT / "docs" / "benchmarks.md"
START = "<!-- restore:start -->"
END = "<!-- restore:end -->"
SOURCE = "berth_restore_src"
TARGET = "berth_restore_dst"
PHONE = "+7 701 {:03d} {:02d} {:02d}"


def _server() -> str:
    return os.environ.get("BENCH_POSTGRES", "postgres://postgres@127.0.0.1:5432")


def _recreate(*names: str) -> None:
    import psycopg

    with psycopg.connect(f"{_server()}/postgres", autocommit=True) as conn:
        for name in names:
            conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
            conn.execute(f"CREATE DATABASE {name}")


def _drop(*names: str) -> None:
    import psycopg

    with psycopg.connect(f"{_server()}/postgres", autocommit=True) as conn:
        for name in names:
            conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


def _tool(name: str) -> str:
    """The PostgreSQL tool of the server's major version (Debian: /usr/lib/postgresql/N)."""
    import psycopg

    with psycopg.connect(f"{_server()}/postgres") as conn:
        major = int(conn.execute("SHOW server_version_num").fetchone()[0]) // 10000
    versioned = Path(f"/usr/lib/postgresql/{major}/bin/{name}")
    return str(versioned) if versioned.exists() else (shutil.which(name) or name)


def _env(database: str) -> dict:
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.local",
        "DEBUG": "0",
        "DATABASE_URL": f"{_server()}/{database}",
    }


def _timed(command: list[str], env: dict) -> float:
    started = time.perf_counter()
    subprocess.run(command, cwd=ROOT, env=env, check=True, capture_output=True)
    return time.perf_counter() - started


def _libpq(env: dict) -> dict:
    # The server URL's parts for pg_dump and pg_restore.
    found = re.match(
        r"postgres(?:ql)?://(?P<user>[^:@/]+)(?::(?P<pw>[^@/]*))?@(?P<host>[^:/]+)(?::(?P<port>\d+))?",
        _server(),
    )
    assert found, _server()
    values = {"PGUSER": found["user"], "PGHOST": found["host"], "PGPORT": found["port"] or "5432"}
    if found["pw"]:
        values["PGPASSWORD"] = found["pw"]
    return {**env, **values}


def seed() -> dict:
    """The national city, with personal data, after one matching run."""
    from arrivals.models import MatchingRun, Party, PartyMember
    from arrivals.services import matching_run_execute
    from privacy.crypto import phone_digest

    from .workflow import load_instance

    city, instance = load_instance("national")
    parties = list(Party.objects.filter(city=city).order_by("code"))
    for index, party in enumerate(parties):
        party.contact_phone = PHONE.format(index // 10000, index // 100 % 100, index % 100)
        party.contact_phone_digest = phone_digest(party.contact_phone)
    Party.objects.bulk_update(parties, ["contact_phone", "contact_phone_digest"], batch_size=2000)
    firsts = list(PartyMember.objects.filter(party__city=city, position=0))
    for member in firsts:
        member.family_name = "Nurlanova"
    PartyMember.objects.bulk_update(firsts, ["family_name"], batch_size=5000)
    run = matching_run_execute(run_id=MatchingRun.objects.create(city=city, trigger="bench").id)
    return {
        "parties": len(instance.parties),
        "people": instance.people,
        "spaces": len(instance.spaces),
        "placed": run.placed_parties,
    }


def snapshot(alias: str) -> dict:
    from django.db.models import Sum

    from arrivals.models import Party, PartyMember, Placement
    from shelters.models import Space

    beds = Space.objects.using(alias).aggregate(
        held=Sum("beds_held"), occupied=Sum("beds_occupied"), beds=Sum("beds")
    )
    return {
        "parties": Party.objects.using(alias).count(),
        "statuses": dict(
            Party.objects.using(alias).values_list("status").annotate(n=Sum("size")).order_by()
        ),
        "placements": Placement.objects.using(alias).count(),
        "beds": beds,
        # Decrypted with the key, every one of them.
        "phones": sorted(Party.objects.using(alias).values_list("contact_phone", flat=True)),
        "families": sorted(
            PartyMember.objects.using(alias)
            .exclude(family_name=None)
            .values_list("family_name", flat=True)
        ),
    }


def write_doc(figures: dict) -> None:
    machine = (
        f"{os.cpu_count()} CPUs, Python {platform.python_version()}, "
        f"{figures['server']}, measured {datetime.now(UTC):%Y-%m-%d %H:%M} UTC"
    )
    section = f"""{START}
## Restoring a backup

The restore drill of [operations.md](operations.md) on the `national` city: {figures["parties"]:,}
parties ({figures["people"]:,} people, every party with an encrypted phone and a family name),
{figures["spaces"]:,} spaces, after a matching run that placed {figures["placed"]:,} parties.

| step | time |
| --- | --- |
| `pg_dump --format=custom` ({figures["dump_mb"]:.1f} MB) | {figures["dump_s"]:.1f} s |
| `pg_restore --no-owner` into a new, empty database | {figures["restore_s"]:.1f} s |
| `manage.py migrate --check` on the restored database | {figures["check_s"]:.1f} s |
| the checks: same parties and beds, every name and phone read | {figures["verify_s"]:.1f} s |

Machine: {machine}. Reproduce: `.venv/bin/python -m benchmarks.restore` (needs PostgreSQL; see
the module's docstring).
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
    argparse.ArgumentParser(prog="python -m benchmarks.restore").parse_args(argv)
    try:
        _recreate(SOURCE, TARGET)
    except Exception as error:  # noqa: BLE001 - any failure means the server is not there
        print(f"benchmarks.restore skipped: needs PostgreSQL ({error})")
        return 0
    source_env = _env(SOURCE)
    try:
        subprocess.run(
            [sys.executable, "manage.py", "migrate", "--noinput", "-v0"],
            cwd=ROOT,
            env=source_env,
            check=True,
        )
        os.environ.update(source_env)
        import django

        django.setup()
        from django.db import connection, connections
        from django.db.utils import load_backend

        figures = seed()
        figures["server"] = "PostgreSQL " + connection.cursor().connection.info.parameter_status(
            "server_version"
        )
        before = snapshot("default")
        connections.close_all()

        with tempfile.TemporaryDirectory() as scratch:
            dump = Path(scratch) / "berth.dump"
            libpq = _libpq(source_env)
            figures["dump_s"] = _timed(
                [_tool("pg_dump"), "--format=custom", f"--file={dump}", SOURCE], libpq
            )
            figures["dump_mb"] = dump.stat().st_size / 1e6
            figures["restore_s"] = _timed(
                [
                    _tool("pg_restore"),
                    "--no-owner",
                    "--exit-on-error",
                    f"--dbname={TARGET}",
                    str(dump),
                ],
                libpq,
            )
        figures["check_s"] = _timed(
            [sys.executable, "manage.py", "migrate", "--check"], _env(TARGET)
        )
        started = time.perf_counter()
        settings_dict = {**connection.settings_dict, "NAME": TARGET}
        connections["restored"] = load_backend(settings_dict["ENGINE"]).DatabaseWrapper(
            settings_dict, "restored"
        )
        after = snapshot("restored")
        figures["verify_s"] = time.perf_counter() - started
        connections.close_all()
        if after != before:
            print("the restored database differs from the dumped one", file=sys.stderr)
            return 1
    finally:
        _drop(SOURCE, TARGET)
    write_doc(figures)
    print(
        f"dump {figures['dump_s']:.1f} s ({figures['dump_mb']:.1f} MB), restore "
        f"{figures['restore_s']:.1f} s, migrate --check {figures['check_s']:.1f} s, "
        f"checks {figures['verify_s']:.1f} s"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
