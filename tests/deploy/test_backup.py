"""A backup restores: pg_dump of a database in use, pg_restore into a new database, and
the same parties, counters and personal data come back, readable with the key and only
with it (docs/operations.md, "Backups of PostgreSQL" and the restore drill)."""

import subprocess
import time

import pytest
from cryptography.fernet import Fernet
from django.core.exceptions import ImproperlyConfigured
from django.db import connection, connections

from accounts.models import Role
from arrivals.models import Party, PartyEvent, PartyMember, PartyStatus
from shelters.models import Space
from tests import factories
from tests.arrivals.parties.conftest import PARTIES, body, party_url
from tests.conftest import client_for
from tests.deploy.databases import (
    database_alias,
    libpq_env,
    pg_tool,
    project_models,
    rows,
    scratch_database,
)

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

PHONE = "+7 701 123-45-67"
FAMILY = "Nurlanova"


def run(*command: str) -> float:
    """Run a PostgreSQL tool against the test database's server; its duration in s."""
    started = time.monotonic()
    result = subprocess.run(  # noqa: S603 - pg_dump / pg_restore, found by pg_tool
        command, env=libpq_env(), capture_output=True, text=True, timeout=300, check=False
    )
    assert result.returncode == 0, result.stderr
    return time.monotonic() - started


def a_city_at_work() -> None:
    """Six parties of two registered through the API with names and phones; the matcher
    places five in the ten beds, one waits; one of the placed checks in."""
    city = factories.CityFactory()
    factories.SpaceFactory(shelter=factories.ShelterFactory(city=city), beds=10)
    volunteer = client_for(factories.member(Role.VOLUNTEER, cities=[city]))
    coordinator = client_for(factories.member(Role.COORDINATOR, cities=[city]))
    for _ in range(6):
        # Committed at once (a transactional test): matching runs after each, in-process.
        assert volunteer.post(PARTIES, body(city), format="json").status_code == 201
    placed = Party.objects.filter(status=PartyStatus.PLACED).first()
    assert coordinator.post(party_url(placed.id, "check-in")).status_code == 200


def test_a_dump_restores_the_same_data_readable_only_with_the_key(tmp_path, settings):
    a_city_at_work()
    space = Space.objects.get()
    assert (space.beds_held, space.beds_occupied) == (8, 2)
    assert Party.objects.filter(status=PartyStatus.WAITING).count() == 1
    before = {model: rows(model, "default") for model in project_models()}

    dump = tmp_path / "berth.dump"
    # Uncompressed, so that the file itself can be searched for plaintext below.
    dump_seconds = run(
        pg_tool("pg_dump"),
        "--format=custom",
        "--compress=0",
        f"--file={dump}",
        connection.settings_dict["NAME"],
    )
    content = dump.read_bytes()
    for plaintext in (PHONE, FAMILY, "7011234567"):
        assert plaintext.encode() not in content, plaintext
    assert b"gAAAAA" in content  # Fernet tokens: the encrypted names and phones

    with scratch_database("restore") as restored, database_alias(restored) as alias:
        restore_seconds = run(
            pg_tool("pg_restore"),
            "--no-owner",
            "--exit-on-error",
            f"--dbname={restored}",
            str(dump),
        )
        # The same rows in every table of Berth, personal data decrypted with the key.
        for model, expected in before.items():
            assert rows(model, alias) == expected, model.__name__
        assert Space.objects.using(alias).get().beds_held == 8
        phones = set(Party.objects.using(alias).values_list("contact_phone", flat=True))
        assert phones == {PHONE}
        assert FAMILY in set(PartyMember.objects.using(alias).values_list("family_name", flat=True))
        # Stored encrypted: the database itself holds no plaintext.
        with connections[alias].cursor() as cursor:
            cursor.execute("SELECT contact_phone FROM arrivals_party")
            assert all(value.startswith("gAAAAA") for (value,) in cursor.fetchall())
        # The restored database takes new rows (its sequences came back too).
        event = PartyEvent.objects.using(alias).create(
            party=Party.objects.using(alias).first(), actor="restore drill", to_status="waiting"
        )
        assert event.id > max(PartyEvent.objects.values_list("id", flat=True))

        # Another key reads nothing.
        settings.FIELD_ENCRYPTION_KEY = Fernet.generate_key().decode()
        with pytest.raises(ImproperlyConfigured, match="cannot be read"):
            list(Party.objects.using(alias).values_list("contact_phone", flat=True))
        with pytest.raises(ImproperlyConfigured, match="cannot be read"):
            list(PartyMember.objects.using(alias).exclude(family_name=None).values("family_name"))
        print(f"pg_dump {dump_seconds:.2f} s, pg_restore {restore_seconds:.2f} s")
