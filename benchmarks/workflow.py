"""Benchmark of the running system: ``python -m benchmarks.workflow``.

Registration to placement with a real Celery worker on Redis and PostgreSQL: parties are
registered one by one at a steady pace (as at a busy registration point); for each, the time
from the commit of its registration to the commit of the matching run that placed it
(`MatchingRun.finished_at`, stamped just before that run commits). The national-size city
(its matching run and its reads) is measured by `benchmarks.scale`, which loads it with
`load_instance` below.

Needs PostgreSQL and Redis: BENCH_POSTGRES (a server URL without a database name) and
BENCH_REDIS, by default this machine's postgres://postgres@127.0.0.1:5432 and
redis://127.0.0.1:6379/14. It works in its own database (`berth_bench`, dropped and made
again) and its own Celery queue, so it never touches DATABASE_URL's data. Writes the part of
docs/benchmarks.md between ``<!-- workflow:start -->`` and ``<!-- workflow:end -->``.
"""

from __future__ import annotations

import argparse
import os
import random
import subprocess
import sys
import time
import uuid
from pathlib import Path

from arrivals.matching import party_weight

ROOT = Path(__file__).resolve().parent.parent
DOC = ROOT / "docs" / "benchmarks.md"
START = "<!-- workflow:start -->"
END = "<!-- workflow:end -->"
BENCH_DB = "berth_bench"


def _environment() -> dict:
    server = os.environ.get("BENCH_POSTGRES", "postgres://postgres@127.0.0.1:5432")
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.local",
        "DEBUG": "0",
        "ALLOWED_HOSTS": "testserver,127.0.0.1,localhost",
        "DATABASE_URL": f"{server}/{BENCH_DB}",
        "REDIS_URL": os.environ.get("BENCH_REDIS", "redis://127.0.0.1:6379/14"),
        "CELERY_QUEUE": f"berth-bench-{uuid.uuid4().hex[:8]}",
    }


def _recreate_database(server: str) -> None:
    import psycopg

    with psycopg.connect(f"{server}/postgres", autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {BENCH_DB} WITH (FORCE)")
        conn.execute(f"CREATE DATABASE {BENCH_DB}")


def _percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def _members(rng: random.Random) -> list[dict]:
    size = rng.choices([1, 2, 3, 4, 5], weights=[50, 20, 15, 10, 5])[0]
    members = [{"given_name": "A", "sex": rng.choice(["male", "female"]), "age_group": "adult"}]
    members += [
        {"given_name": "C", "sex": rng.choice(["male", "female"]), "age_group": "child"}
        for _ in range(size - 1)
    ]
    return members


def _city(name: str, *, spaces: int, rng: random.Random):
    from shelters.models import Admits, ShelterKind
    from shelters.services import city_create, shelter_create, space_create

    city = city_create(name=name, timezone="Asia/Oral")
    for index in range(spaces):
        shelter = shelter_create(
            city=city,
            name=f"Shelter {index}",
            kind=rng.choice(ShelterKind.values),
            pets_allowed=index % 5 == 0,
        )
        space_create(
            shelter=shelter,
            name="Hall",
            beds=rng.choice([4, 6, 20, 50, 80]),
            admits=rng.choice([Admits.ANYONE] * 4 + [Admits.FAMILIES, Admits.WOMEN_AND_CHILDREN]),
            wheelchair_accessible=index % 4 == 0,
        )
    return city


def measure_latency(*, parties: int, interval: float) -> dict:
    from arrivals.models import Party, Placement
    from arrivals.services import party_register

    rng = random.Random(7)
    city = _city("Latency", spaces=60, rng=rng)
    committed = {}
    for _ in range(parties):
        party = party_register(
            city=city, members=_members(rng), actor_id=None, actor="bench", consent=True
        )
        committed[party.id] = time.time()
        time.sleep(interval)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if not Party.objects.filter(city=city, status="waiting").exists():
            break
        time.sleep(0.2)
    latencies = [
        placement.run.finished_at.timestamp() - committed[placement.party_id]
        for placement in Placement.objects.filter(party__city=city).select_related("run")
        if placement.run is not None
    ]
    if not latencies:
        raise SystemExit("benchmarks.workflow: no party was placed; is the worker consuming?")
    return {
        "parties": parties,
        "placed": len(latencies),
        "interval_ms": interval * 1000,
        "p50_ms": _percentile(latencies, 0.5) * 1000,
        "p95_ms": _percentile(latencies, 0.95) * 1000,
        "max_ms": max(latencies) * 1000,
    }


def load_instance(name: str, *, code_prefix: str = ""):
    """Write a benchmark instance (benchmarks/instances.py) into the database as a city.
    Its parties' codes are numbers after `code_prefix` (for several cities of one instance)."""
    from arrivals.models import Party, PartyMember
    from shelters.models import City, Shelter, ShelterKind, Space

    from .instances import GENERATORS

    instance = GENERATORS[name]()
    city = City.objects.create(name=f"Instance {name} {code_prefix}".strip(), timezone="Asia/Oral")
    shelters = {}
    for space in instance.spaces:
        shelters.setdefault(
            space.shelter,
            Shelter(
                city=city,
                name=f"Shelter {space.shelter}",
                kind=ShelterKind.OTHER,
                pets_allowed=space.pets_allowed,
            ),
        )
    Shelter.objects.bulk_create(shelters.values())
    Space.objects.bulk_create(
        Space(
            shelter=shelters[space.shelter],
            name=f"Space {space.id}",
            beds=max(space.beds, 0),
            admits=space.admits,
            wheelchair_accessible=space.wheelchair_accessible,
        )
        for space in instance.spaces
    )
    parties = [
        Party(
            city=city,
            code=f"{code_prefix}{index:0{6 - len(code_prefix)}d}",
            consent=True,
            pets=party.pets,
            size=len(party.members),
            priority=party_weight(party),
            waiting_since=party.waiting_since,
        )
        for index, party in enumerate(instance.parties)
    ]
    Party.objects.bulk_create(parties, batch_size=2000)
    PartyMember.objects.bulk_create(
        (
            PartyMember(
                party=row,
                position=position,
                given_name="A",
                sex=member.sex,
                age_group=member.age_group,
                needs=list(member.needs),
            )
            for row, party in zip(parties, instance.parties, strict=True)
            for position, member in enumerate(party.members)
        ),
        batch_size=5000,
    )
    return city, instance


def write_doc(latency: dict, machine: str) -> None:
    text = DOC.read_text() if DOC.exists() else "# Berth benchmarks\n"
    section = f"""{START}
## The running system

Registration to placement, with a real Celery worker (prefork, concurrency 2) on Redis and
PostgreSQL on this machine: {latency["parties"]} parties registered one every
{latency["interval_ms"]:.0f} ms into a city of 60 shelters; for each, the time from the commit
of its registration to the commit of the matching run that placed it.

| parties placed | p50 | p95 | max |
| --- | --- | --- | --- |
| {latency["placed"]} of {latency["parties"]} | {latency["p50_ms"]:.0f} ms | \
{latency["p95_ms"]:.0f} ms | {latency["max_ms"]:.0f} ms |

A national-size city (its whole matching run, an incremental run, its reads): see "At
scale" below.

Machine: {machine}. Reproduce: `make bench` or `.venv/bin/python -m benchmarks.workflow`
(needs PostgreSQL and Redis; see the module's docstring).
{END}"""
    if START in text and END in text:
        text = text[: text.index(START)] + section + text[text.index(END) + len(END) :]
    else:
        text = text.rstrip("\n") + "\n\n" + section + "\n"
    DOC.write_text(text)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.workflow")
    parser.add_argument("--parties", type=int, default=200)
    parser.add_argument("--interval", type=float, default=0.1, help="seconds between arrivals")
    args = parser.parse_args(argv)

    env = _environment()
    server = env["DATABASE_URL"].rsplit("/", 1)[0]
    try:
        _recreate_database(server)
        import redis

        redis.Redis.from_url(env["REDIS_URL"]).ping()
    except Exception as error:  # noqa: BLE001 - any failure means the servers are not there
        print(f"benchmarks.workflow skipped: needs PostgreSQL and Redis ({error})")
        return 0
    os.environ.update(env)
    subprocess.run(
        [sys.executable, "manage.py", "migrate", "--noinput", "-v0"], cwd=ROOT, env=env, check=True
    )
    worker = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "config",
            "worker",
            "-Q",
            env["CELERY_QUEUE"],
            "--concurrency=2",
            "--without-gossip",
            "--without-mingle",
            "--loglevel=WARNING",
        ],
        cwd=ROOT,
        env=env,
    )
    try:
        import django

        django.setup()
        from django.db import connections

        time.sleep(3)  # the worker connects to Redis
        latency = measure_latency(parties=args.parties, interval=args.interval)
        connections.close_all()
    finally:
        worker.terminate()
        worker.wait(timeout=30)
    from .matching import _machine

    write_doc(latency, _machine())
    print(f"registration -> placement: {latency}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
