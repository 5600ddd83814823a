"""An installation of the first release upgrades to this one with its data: a new database
is migrated to the first release's schema (commit d988c00), filled through that schema's
models, then migrated by `manage.py migrate` as an upgrade does; every row comes back,
personal data still readable with the key."""

import json
import subprocess
import sys

import pytest
from django.conf import settings
from django.db import connections
from django.db.migrations.executor import MigrationExecutor

from accounts.models import Membership
from arrivals.models import MatchingRun, Party, PartyEvent, PartyMember, Placement
from idempotency.models import IdempotencyKey
from privacy.models import AuditEntry
from shelters.models import Space
from tests.deploy.databases import REPO, database_alias, libpq_env, scratch_database

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

# The leaf migration of each app in the first release; apps of Berth missing here came
# later (meals, webhooks, ...) and had no tables then.
FIRST_RELEASE = {
    "accounts": "0001_initial",
    "arrivals": "0001_initial",
    "idempotency": "0001_initial",
    "privacy": "0002_audit_append_only",
    "shelters": "0001_initial",
}
PHONE = "+7 701 123-45-67"

# Run in a process of its own, on the new database: migrate to the first release, then
# write a city at work through the models of that schema (the migrations' historical
# models, whose encrypted fields encrypt as the release did).
SEED = """
import json, os
from pathlib import Path
import django
django.setup()
from django.apps import apps as live
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone
from privacy.crypto import phone_digest

first = json.loads(os.environ["FIRST_RELEASE"])
PHONE = os.environ["SEED_PHONE"]
repo = Path(os.environ["REPO"])
executor = MigrationExecutor(connection)
targets = []
for label in sorted(executor.loader.migrated_apps):
    if label in first:
        targets.append((label, first[label]))
    elif (path := Path(live.get_app_config(label).path)).is_relative_to(repo) and (
        "site-packages" not in path.parts
    ):
        targets.append((label, None))  # not in the first release
    else:
        targets += [node for node in executor.loader.graph.leaf_nodes() if node[0] == label]
executor.migrate(targets)
# The models of the schema now applied, rendered afresh.
apps = MigrationExecutor(connection)._create_project_state(with_applied_migrations=True).apps
model = apps.get_model
now = timezone.now()

user = model("auth", "User").objects.create(username="aigerim", password="!")
city = model("shelters", "City").objects.create(name="Uralsk", timezone="Asia/Oral")
membership = model("accounts", "Membership").objects.create(user=user, role="coordinator")
membership.cities.add(city)
shelter = model("shelters", "Shelter").objects.create(city=city, name="Cinema Arman", kind="cinema")
space = model("shelters", "Space").objects.create(
    shelter=shelter, name="Hall 1", beds=10, beds_held=2, beds_occupied=3
)
run = model("arrivals", "MatchingRun").objects.create(
    city=city, status="done", trigger="registration", started_at=now, finished_at=now,
    placed_parties=1, placed_people=2, waiting_parties=1, duration_ms=40, engine_ms=3,
)
Party, Member = model("arrivals", "Party"), model("arrivals", "PartyMember")
parties = []
for code, status, size in (
    ("A2B3C4", "placed", 2), ("D5E6F7", "checked_in", 3), ("G8H9J2", "waiting", 1)
):
    party = Party.objects.create(
        city=city, code=code, contact_phone=PHONE, contact_phone_digest=phone_digest(PHONE),
        languages=["ru"], notes="night train", consent=True, status=status, size=size,
        priority=size, created_by=user,
    )
    for position in range(size):
        Member.objects.create(
            party=party, position=position, given_name=f"Member {position}",
            family_name="Nurlanova" if position == 0 else None,
            sex="female", age_group="adult" if position == 0 else "child",
        )
    parties.append(party)
Placement = model("arrivals", "Placement")
Placement.objects.create(party=parties[0], space=space, beds=2, status="held",
                         held_until=now, created_by="matcher", run=run)
Placement.objects.create(party=parties[1], space=space, beds=3, status="checked_in",
                         created_by="aigerim", checked_in_at=now)
model("arrivals", "PartyEvent").objects.create(
    party=parties[0], actor="matcher", from_status="waiting", to_status="placed", reason="run"
)
model("idempotency", "IdempotencyKey").objects.create(
    owner="user:1", scope="parties.create", key="k1", fingerprint="f" * 64,
    response_status=201, response_body={"id": str(parties[0].id)}, created_at=now,
)
model("privacy", "AuditEntry").objects.create(
    actor_id=user.id, actor="aigerim", action="read", object_type="party",
    object_id=str(parties[0].id),
)
print(json.dumps({"migrated": [list(node) for node in targets]}))
"""


def manage(database: str, *args: str, code: str | None = None) -> str:
    db = settings.DATABASES["default"]
    env = libpq_env()
    password = f":{env['PGPASSWORD']}" if env.get("PGPASSWORD") else ""
    env = {
        **{k: v for k, v in env.items() if k not in ("REDIS_URL", "DJANGO_SETTINGS_MODULE")},
        "DJANGO_SETTINGS_MODULE": "config.settings.local",
        "DEBUG": "0",
        "DATABASE_URL": (
            f"postgres://{env['PGUSER']}{password}@{env['PGHOST']}:{env['PGPORT']}/{database}"
        ),
        # The keys of this test process: what the seed encrypts, the test reads.
        "FIELD_ENCRYPTION_KEY": settings.FIELD_ENCRYPTION_KEY,
        "LOOKUP_HASH_KEY": settings.LOOKUP_HASH_KEY,
        "FIRST_RELEASE": json.dumps(FIRST_RELEASE),
        "SEED_PHONE": PHONE,
        "REPO": str(REPO),
    }
    assert db["ENGINE"].endswith("postgresql")
    command = [sys.executable, "-c", code] if code else [sys.executable, "manage.py", *args]
    result = subprocess.run(  # noqa: S603 - our own interpreter and manage.py
        command, cwd=REPO, env=env, capture_output=True, text=True, timeout=300, check=False
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


def test_the_first_releases_database_upgrades_with_its_data():
    with scratch_database("upgrade") as database:
        seeded = json.loads(manage(database, code=SEED).strip().splitlines()[-1])
        assert ["arrivals", "0001_initial"] in seeded["migrated"]
        assert ["meals", None] in seeded["migrated"]

        output = manage(database, "migrate", "--noinput")
        assert "Applying arrivals.0002_run_enqueued_at_event_reason... OK" in output
        assert "Applying meals.0001_initial... OK" in output

        with database_alias(database) as alias:
            executor = MigrationExecutor(connections[alias])
            assert executor.migration_plan(executor.loader.graph.leaf_nodes()) == []

            parties = {p.code: p for p in Party.objects.using(alias).all()}
            assert {code: (p.status, p.size) for code, p in parties.items()} == {
                "A2B3C4": ("placed", 2),
                "D5E6F7": ("checked_in", 3),
                "G8H9J2": ("waiting", 1),
            }
            assert {p.contact_phone for p in parties.values()} == {PHONE}
            families = PartyMember.objects.using(alias).exclude(family_name=None)
            assert sorted(families.values_list("family_name", flat=True)) == ["Nurlanova"] * 3
            assert PartyMember.objects.using(alias).count() == 6

            space = Space.objects.using(alias).get()
            assert (space.beds, space.beds_held, space.beds_occupied) == (10, 2, 3)
            assert sorted(Placement.objects.using(alias).values_list("status", "beds")) == [
                ("checked_in", 3),
                ("held", 2),
            ]
            run = MatchingRun.objects.using(alias).get()
            assert (run.status, run.placed_parties, run.duration_ms) == ("done", 1, 40)
            assert run.enqueued_at is not None  # a field of the second migration
            assert PartyEvent.objects.using(alias).get().reason == "run"
            assert AuditEntry.objects.using(alias).count() == 1
            membership = Membership.objects.using(alias).get()
            assert membership.role == "coordinator"
            assert list(membership.cities.values_list("name", flat=True)) == ["Uralsk"]
            # Stored answers kept in clear by the first release are dropped, by design
            # (idempotency 0002): a retry after the upgrade counts as a first request.
            assert IdempotencyKey.objects.using(alias).count() == 0


def test_the_first_release_names_migrations_that_exist():
    graph = MigrationExecutor(connections["default"]).loader.graph
    for label, name in FIRST_RELEASE.items():
        assert (label, name) in graph.nodes
