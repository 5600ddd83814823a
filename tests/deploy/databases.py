"""Scratch PostgreSQL databases beside the test database, and the PostgreSQL client
tools (pg_dump, pg_restore) that match its server."""

import os
import re
import shutil
import subprocess
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import psycopg
import pytest
from django.apps import apps
from django.db import connection, connections
from django.db.utils import load_backend

REPO = Path(__file__).resolve().parents[2]


def libpq_env() -> dict[str, str]:
    """The test database's server and role for libpq tools (PGHOST, PGUSER, ...)."""
    db = connection.settings_dict
    values = {
        "PGHOST": db.get("HOST") or "127.0.0.1",
        "PGPORT": str(db.get("PORT") or 5432),
        "PGUSER": db.get("USER") or "postgres",
    }
    if db.get("PASSWORD"):
        values["PGPASSWORD"] = db["PASSWORD"]
    return {**os.environ, **values}


def server_major() -> int:
    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version_num")
        return int(cursor.fetchone()[0]) // 10000


def pg_tool(name: str) -> str:
    """`pg_dump` or `pg_restore` of the server's major version or newer: an older one
    refuses to dump a newer server. Debian keeps each version in /usr/lib/postgresql/N/."""
    major = server_major()
    candidates = [f"/usr/lib/postgresql/{major}/bin/{name}", shutil.which(name)]
    for candidate in filter(None, candidates):
        if not os.access(candidate, os.X_OK):
            continue
        version = subprocess.run(  # noqa: S603 - a PostgreSQL tool, found above
            [candidate, "--version"], capture_output=True, text=True, check=False
        ).stdout
        found = re.search(r"(\d+)\.\d+", version)
        if found and int(found.group(1)) >= major:
            return candidate
    pytest.fail(f"no {name} of PostgreSQL {major} or newer (Debian: postgresql-client-{major})")


def scratch_name(purpose: str) -> str:
    return f"{connection.settings_dict['NAME']}_{purpose}_{uuid.uuid4().hex[:6]}"[:63]


def _admin() -> psycopg.Connection:
    env = libpq_env()
    return psycopg.connect(
        host=env["PGHOST"],
        port=env["PGPORT"],
        user=env["PGUSER"],
        password=env.get("PGPASSWORD"),
        dbname="postgres",
        autocommit=True,
    )


@contextmanager
def scratch_database(purpose: str) -> Iterator[str]:
    """A new, empty database, dropped afterwards."""
    name = scratch_name(purpose)
    with _admin() as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    try:
        yield name
    finally:
        with _admin() as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@contextmanager
def database_alias(name: str) -> Iterator[str]:
    """Django's models on database `name`, as the alias returned (`.using(alias)`)."""
    alias = f"scratch_{uuid.uuid4().hex[:6]}"
    settings_dict = {**connection.settings_dict, "NAME": name}
    # A connection made here, outside settings.DATABASES: Django's test cases allow such
    # dynamically created connections besides the test database.
    connections[alias] = load_backend(settings_dict["ENGINE"]).DatabaseWrapper(settings_dict, alias)
    try:
        yield alias
    finally:
        connections[alias].close()
        del connections[alias]


def project_models() -> list:
    """The models of Berth's own apps (not Django's or third parties')."""
    return [
        model
        for config in apps.get_app_configs()
        if Path(config.path).is_relative_to(REPO) and "site-packages" not in Path(config.path).parts
        for model in config.get_models()
    ]


def rows(model, alias: str) -> list[tuple]:
    """Every row of `model` on `alias`, in key order, as the application reads it
    (encrypted fields decrypted)."""
    fields = [field.attname for field in model._meta.concrete_fields]
    return list(model.objects.using(alias).order_by("pk").values_list(*fields))
