"""Benchmark of what issue 13 asks of Berth at scale: ``python -m benchmarks.scale``.

All figures of one run, on PostgreSQL and Redis of this machine (BENCH_POSTGRES, a server
URL without a database name, and BENCH_REDIS; by default postgres://postgres@127.0.0.1:5432
and redis://127.0.0.1:6379/13), in a database of its own (`berth_scale`, dropped and made
again) and Celery queues of its own:

1. Registration through gunicorn (config/gunicorn.py, 2 workers x 8 threads, DEBUG off):
   server CPU per request (the workers' user + system time over the requests) and
   throughput at 8 and 32 requests in flight, each against `GET /healthz` measured in the
   same run, with every answer counted (an error is any answer but 201 / 200).
2. Reads: `GET /api/v1/capacity/?city=` and a page of `/api/v1/shelters/` on the national
   city (2,000 spaces, 25,000 parties), server CPU per request, in rounds each after a
   load of `/healthz` (the median of the rounds, and of their ratios to `/healthz`).
3. The national run through Django (snapshot, engine, bulk writes) in NATIONAL_CITIES
   copies of the instance: the median time and how long the spaces' locks were held;
   then an incremental run for one new party in the first city, whose backlog waits.
4. Registration to placement at a sustained 20 registrations a second, with a worker.
5. 1, 2 and 4 worker processes on a backlog of several cities: matching runs per second.

Writes the part of docs/benchmarks.md between ``<!-- scale:start -->`` and
``<!-- scale:end -->``. The machine's load is printed with the figures: on a shared
machine the ratios of one run are what count.
"""

from __future__ import annotations

import argparse
import gc
import http.client
import json
import os
import random
import statistics
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path

from .server import Gunicorn, machine, write_section

ROOT = Path(__file__).resolve().parent.parent
DOC = ROOT / "docs" / "benchmarks.md"
START, END = "<!-- scale:start -->", "<!-- scale:end -->"
BENCH_DB = "berth_scale"
PASSWORD = "bench-password-2022"  # noqa: S105 - a user of the throwaway bench database
TICKS = os.sysconf("SC_CLK_TCK")


def _environment() -> dict:
    server = os.environ.get("BENCH_POSTGRES", "postgres://postgres@127.0.0.1:5432")
    return {
        "DJANGO_SETTINGS_MODULE": "config.settings.local",
        "DEBUG": "0",
        "ALLOWED_HOSTS": "testserver,127.0.0.1,localhost",
        "DATABASE_URL": f"{server}/{BENCH_DB}",
        "REDIS_URL": os.environ.get("BENCH_REDIS", "redis://127.0.0.1:6379/13"),
        "CELERY_QUEUE": f"berth-scale-{uuid.uuid4().hex[:8]}",
        # The limits are not what is measured here (each rate still costs its Redis call).
        "THROTTLE_REGISTER_VOLUNTEER_RATE": "1000000/min",
        "THROTTLE_READ_PERSON_RATE": "1000000/min",
    }


def _cpu_seconds(pids: list[int]) -> float:
    total = 0
    for pid in pids:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        total += int(fields[11]) + int(fields[12])  # utime, stime
    return total / TICKS


def _named_cpu(name: str) -> dict[int, float]:
    """CPU seconds of each process of this machine whose name is `name` (`postgres`)."""
    seconds = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            if (entry / "comm").read_text().strip() == name:
                seconds[int(entry.name)] = _cpu_seconds([int(entry.name)])
        except (OSError, ValueError):
            continue  # gone meanwhile
    return seconds


def _machine_busy() -> float:
    """CPU seconds the whole machine spent busy (all but idle and I/O wait), all cores."""
    fields = [int(value) for value in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    return (sum(fields) - fields[3] - fields[4]) / TICKS


def _percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


class Load:
    """`inflight` threads, each with a keep-alive connection, sending requests for
    `seconds`; counts answers, errors and the server's CPU."""

    def __init__(self, server: Gunicorn, request, *, inflight: int, seconds: float) -> None:
        self.server, self.request, self.inflight, self.seconds = server, request, inflight, seconds

    def run(self) -> dict:
        done, errors, latencies = [0], [0], []
        lock = threading.Lock()
        stop = time.monotonic() + self.seconds

        def client():
            connection = self.server.connection(timeout=30)
            while time.monotonic() < stop:
                method, path, body, headers, expected = self.request()
                started = time.perf_counter()
                try:
                    connection.request(method, path, body=body, headers=headers)
                    answer = connection.getresponse()
                    answer.read()
                    ok = answer.status == expected
                except (OSError, http.client.HTTPException):
                    ok = False
                    connection.close()
                    connection = self.server.connection(timeout=30)
                with lock:
                    latencies.append(time.perf_counter() - started)
                    if ok:
                        done[0] += 1
                    else:
                        errors[0] += 1
            connection.close()

        pids = self.server.workers()
        cpu = _cpu_seconds(pids)
        database, busy, own = _named_cpu("postgres"), _machine_busy(), time.process_time()
        began = time.perf_counter()
        threads = [threading.Thread(target=client) for _ in range(self.inflight)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        elapsed = time.perf_counter() - began
        cpu = _cpu_seconds(pids) - cpu
        own, busy = time.process_time() - own, _machine_busy() - busy
        # PostgreSQL's processes of before and after (Django keeps its connections).
        database_cpu = sum(
            seconds - database.get(pid, 0.0) for pid, seconds in _named_cpu("postgres").items()
        )
        answered = done[0] + errors[0]

        def per_request(seconds: float) -> float:
            return seconds * 1000 / max(answered, 1)

        return {
            "requests": answered,
            "errors": errors[0],
            "seconds": elapsed,
            "latencies": latencies,  # dropped by `_combined`
            "per_second": done[0] / elapsed,
            "cpu_ms": per_request(cpu),
            # The whole machine's, PostgreSQL's and this load's own CPU per request.
            "machine_ms": per_request(busy),
            "postgres_ms": per_request(database_cpu),
            "client_ms": per_request(own),
            "p50_ms": _percentile(latencies, 0.5) * 1000 if latencies else 0,
            "p95_ms": _percentile(latencies, 0.95) * 1000 if latencies else 0,
        }


# A ratio of throughputs is measured in this many rounds, each a load of `/healthz` then
# one of registrations: on a machine shared with other work, whose speed changes from
# one second to the next (single rounds ranged from 0.33 to 0.76 in one minute), a round
# compares two loads a few seconds apart; the median of the rounds is published.
ROUNDS = 5


def _combined(loads: list[dict]) -> dict:
    """The loads of several rounds as one: counts summed, times per request weighted by
    requests, percentiles of every answer."""
    latencies = sorted(latency for load in loads for latency in load["latencies"])
    requests = sum(load["requests"] for load in loads)
    done = sum(load["per_second"] * load["seconds"] for load in loads)
    combined = {
        "requests": requests,
        "errors": sum(load["errors"] for load in loads),
        "per_second": done / sum(load["seconds"] for load in loads),
        "p50_ms": _percentile(latencies, 0.5) * 1000 if latencies else 0,
        "p95_ms": _percentile(latencies, 0.95) * 1000 if latencies else 0,
    }
    for name in ("cpu_ms", "machine_ms", "postgres_ms", "client_ms"):
        combined[name] = sum(load[name] * load["requests"] for load in loads) / max(requests, 1)
    return combined


def _rounds(server: Gunicorn, healthz, request, *, inflight: int, seconds: float) -> list:
    """ROUNDS pairs of loads, `seconds` in all for each: one of `healthz`, then one of
    `request`, each pair a few seconds apart on a machine whose speed moves."""
    return [
        (
            Load(server, healthz, inflight=inflight, seconds=seconds / ROUNDS).run(),
            Load(server, request, inflight=inflight, seconds=seconds / ROUNDS).run(),
        )
        for _ in range(ROUNDS)
    ]


def _members(rng: random.Random) -> list[dict]:
    size = rng.choices([1, 2, 3, 4], weights=[50, 25, 15, 10])[0]
    members = [{"given_name": "Aru", "sex": rng.choice(["male", "female"]), "age_group": "adult"}]
    members += [{"given_name": "Bek", "age_group": "child"} for _ in range(size - 1)]
    return members


def measure_http(env: dict, *, seconds: float, national_city) -> dict:
    from django.contrib.auth import get_user_model

    from accounts.models import Membership, Role

    from .workflow import _city

    rng = random.Random(5)
    city = _city("Registrations", spaces=60, rng=rng)
    user = get_user_model().objects.create_user(username="bench-volunteer", password=PASSWORD)
    Membership.objects.create(user=user, role=Role.VOLUNTEER).cities.set([city, national_city])
    server = Gunicorn(
        ROOT / "artifacts" / "bench-scale",
        settings=env["DJANGO_SETTINGS_MODULE"],
        env={**env, "WEB_CONCURRENCY": "2", "GUNICORN_THREADS": "8", "LOG_LEVEL": "WARNING"},
        migrate=False,
    )
    results: dict = {}
    with server:
        connection = server.connection()
        connection.request(
            "POST",
            "/api/v1/auth/token/",
            body=json.dumps({"username": "bench-volunteer", "password": PASSWORD}),
            headers={"Content-Type": "application/json"},
        )
        answer = connection.getresponse()
        token = json.loads(answer.read())["token"]
        auth = {"Authorization": f"Token {token}", "Content-Type": "application/json"}

        def registration():
            body = {"city": str(city.id), "consent": True, "members": _members(rng)}
            headers = {**auth, "Idempotency-Key": uuid.uuid4().hex}
            return "POST", "/api/v1/parties/", json.dumps(body), headers, 201

        def healthz():
            return "GET", "/healthz", None, {}, 200

        def capacity():
            return "GET", f"/api/v1/capacity/?city={national_city.id}", None, auth, 200

        def shelters():
            path = f"/api/v1/shelters/?city={national_city.id}&has_free_beds=true&page_size=50"
            return "GET", path, None, auth, 200

        Load(server, registration, inflight=4, seconds=2).run()  # warm up every thread
        Load(server, healthz, inflight=4, seconds=1).run()
        for inflight in (8, 32):
            rounds = _rounds(server, healthz, registration, inflight=inflight, seconds=seconds)
            results[f"healthz_{inflight}"] = _combined([health for health, _ in rounds])
            results[f"register_{inflight}"] = _combined([register for _, register in rounds])
            results[f"ratios_{inflight}"] = [
                register["per_second"] / health["per_second"] for health, register in rounds
            ]
        for name, request in (("capacity", capacity), ("shelters", shelters)):
            Load(server, request, inflight=2, seconds=1).run()
            # In rounds, as the registrations: the machine's speed moves within a minute,
            # and a read's CPU with it.
            rounds = _rounds(server, healthz, request, inflight=4, seconds=seconds)
            results[name] = _combined([read for _health, read in rounds])
            results[f"{name}_rounds_ms"] = [read["cpu_ms"] for _health, read in rounds]
            results[f"{name}_healthz_ratios"] = [
                read["cpu_ms"] / health["cpu_ms"] for health, read in rounds
            ]
    results["seconds"] = seconds
    return results


# The national run is measured in this many cities, each a copy of the instance: the
# median of their runs is published, with the fastest and the slowest.
NATIONAL_CITIES = 3


def measure_runs() -> dict:
    """The national run in NATIONAL_CITIES cities, then an incremental run for one new
    party in the first, whose backlog waits."""
    from django.db import connection

    from arrivals.models import MatchingRun
    from arrivals.services import matching_run_execute, party_register
    from config.celery import freeze_loaded

    from .workflow import load_instance

    # Codes apart from the workers' cities' (measure_workers: from A).
    loaded = [load_instance("national", code_prefix=prefix) for prefix in "ZYX"[:NATIONAL_CITIES]]
    city, instance = loaded[0]
    parties, spaces = len(instance.parties), len(instance.spaces)
    # A worker process holds no instance: the runs are measured without them in memory.
    cities = [each for each, _instance in loaded]
    del loaded, instance
    gc.collect()
    # An incremental run counts as new what changed up to INCREMENTAL_MARGIN before the
    # last run: the loaded parties must be older than that.
    time.sleep(6)
    freeze_loaded()  # as each worker process does when it starts
    runs = []
    for each in cities:
        # A city's backlog of 25,000 grows over hours, in which autovacuum has read the
        # tables (statistics, hint bits, visibility map): a run just after a bulk load, or
        # just after another city's run (its 22,000 rows written), would measure that
        # pass too, not the run, or share the machine with autovacuum doing it.
        with connection.cursor() as cursor:
            cursor.execute(
                "VACUUM ANALYZE arrivals_party, arrivals_partymember, arrivals_placement, "
                "arrivals_partyevent, shelters_space, shelters_shelter"
            )
        run = MatchingRun.objects.create(city=each, trigger="bench")
        started = time.perf_counter()
        done = matching_run_execute(run_id=run.id)
        assert done is not None
        runs.append((time.perf_counter() - started, done))
    national_s, done = sorted(runs, key=lambda pair: pair[0])[len(runs) // 2]
    party_register(
        city=city,
        members=[{"given_name": "Nurlan", "sex": "male", "age_group": "adult"}],
        actor_id=None,
        actor="bench",
        consent=True,
    )
    MatchingRun.objects.filter(city=city, status="queued").delete()
    incremental = MatchingRun.objects.create(city=city, trigger="registration")
    started = time.perf_counter()
    redone = matching_run_execute(run_id=incremental.id)
    incremental_s = time.perf_counter() - started
    assert redone is not None
    # The runs wrote 66,000 rows: vacuumed now, so that autovacuum does not read them
    # during the registrations measured next, at a moment that differs from run to run.
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")
    return {
        "city": city,
        "cities": len(runs),
        "parties": parties,
        "spaces": spaces,
        "placed": done.placed_parties,
        "national_ms": national_s * 1000,
        "national_range_ms": [min(s for s, _ in runs) * 1000, max(s for s, _ in runs) * 1000],
        "national_each_ms": [round(s * 1000) for s, _ in runs],
        "engine_ms": done.engine_ms,
        "lock_ms": max(getattr(each, "spaces_lock_ms", 0) for _, each in runs),
        "incremental_ms": incremental_s * 1000,
        "incremental_considered": redone.placed_parties + redone.waiting_parties,
        "incremental_placed": redone.placed_parties,
    }


def _worker(env: dict, queue: str, log: Path, concurrency: int = 1) -> subprocess.Popen:
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "config",
            "worker",
            "-Q",
            queue,
            "-n",
            f"{queue}-{uuid.uuid4().hex[:6]}@%h",
            f"--concurrency={concurrency}",
            "--without-gossip",
            "--without-mingle",
            "--without-heartbeat",
            "--loglevel=WARNING",
        ],
        cwd=ROOT,
        env={**os.environ, **env, "CELERY_QUEUE": queue},
        stdout=log.open("ab"),
        stderr=subprocess.STDOUT,
    )


def _stop(processes: list[subprocess.Popen]) -> None:
    for process in processes:
        process.terminate()
    for process in processes:
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()


def measure_latency(env: dict, *, parties: int, rate: float) -> dict:
    from . import workflow

    queue = env["CELERY_QUEUE"]
    worker = _worker(env, queue, ROOT / "artifacts" / "bench-scale" / "latency.log", 2)
    try:
        time.sleep(4)  # the worker connects
        return workflow.measure_latency(parties=parties, interval=1 / rate)
    finally:
        _stop([worker])


def _reset(cities) -> None:
    from django.db import connection

    ids = [str(city.id) for city in cities]
    with connection.cursor() as cursor:
        cursor.execute(
            "DELETE FROM arrivals_placement p USING arrivals_party a "
            "WHERE a.id = p.party_id AND a.city_id = ANY(%s::uuid[])",
            [ids],
        )
        cursor.execute(
            "DELETE FROM arrivals_partyevent e USING arrivals_party a "
            "WHERE a.id = e.party_id AND a.city_id = ANY(%s::uuid[])",
            [ids],
        )
        cursor.execute(
            "UPDATE arrivals_party SET status = 'waiting', revision = revision + 1 "
            "WHERE city_id = ANY(%s::uuid[])",
            [ids],
        )
        cursor.execute(
            "UPDATE shelters_space s SET beds_held = 0 FROM shelters_shelter h "
            "WHERE h.id = s.shelter_id AND h.city_id = ANY(%s::uuid[])",
            [ids],
        )
        cursor.execute("DELETE FROM arrivals_matchingrun WHERE city_id = ANY(%s::uuid[])", [ids])


def measure_workers(env: dict, *, cities: int, rounds: int) -> dict:
    """Runs per second with 1, 2 and 4 worker processes, each city asked for a full run
    `rounds` times (a new run once the last is done), all cities at once."""
    import redis
    from django.db import connection

    from arrivals.models import MatchingRun, RunStatus
    from arrivals.services import matching_request

    from .workflow import load_instance

    prefixes = "ABCDEFGHJKLMNPQRSTUVWXYZ"
    backlog = [load_instance("uralsk-night", code_prefix=prefixes[n])[0] for n in range(cities)]
    figures = {}
    queue = env["CELERY_QUEUE"]
    # What the earlier parts left is not measured here: the runs their registrations asked
    # for and no worker took, and the vacuum of their rows (PostgreSQL's autovacuum would
    # otherwise take a core in the middle of it).
    redis.Redis.from_url(env["REDIS_URL"]).delete(queue)
    MatchingRun.objects.exclude(city__in=backlog).filter(
        status__in=[RunStatus.QUEUED, RunStatus.RUNNING]
    ).update(status=RunStatus.FAILED, error="benchmarks.scale: left by an earlier part")
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")
    for processes in (1, 2, 4):
        log = ROOT / "artifacts" / "bench-scale" / f"workers-{processes}.log"
        workers = [_worker(env, queue, log) for _ in range(processes)]
        try:
            time.sleep(4 + processes)  # they connect
            elapsed = 0.0
            for _round in range(rounds):
                _reset(backlog)  # every city's backlog waits again (not timed)
                began = time.perf_counter()
                for city in backlog:
                    matching_request(city_id=city.id, trigger="bench")
                while MatchingRun.objects.filter(
                    city__in=backlog, status__in=[RunStatus.QUEUED, RunStatus.RUNNING]
                ).exists():
                    time.sleep(0.02)
                elapsed += time.perf_counter() - began
                failed = MatchingRun.objects.filter(city__in=backlog, status=RunStatus.FAILED)
                first = failed.first()
                if first is not None:
                    raise SystemExit(f"benchmarks.scale: a run failed: {first.error}")
            figures[processes] = {
                "runs": cities * rounds,
                "seconds": elapsed,
                "per_second": cities * rounds / elapsed,
            }
        finally:
            _stop(workers)
    return figures


def write_doc(http: dict, runs: dict, latency: dict, workers: dict, where: str) -> None:
    def ratio(inflight: int) -> str:
        register, health = http[f"register_{inflight}"], http[f"healthz_{inflight}"]
        rounds = http[f"ratios_{inflight}"]
        return (
            f"| {inflight} | {register['per_second']:.0f}/s ({register['errors']} errors) | "
            f"{health['per_second']:.0f}/s ({health['errors']} errors) | "
            f"{statistics.median(rounds):.2f} ({min(rounds):.2f} to {max(rounds):.2f}) | "
            f"{register['p50_ms']:.0f} / {register['p95_ms']:.0f} ms |"
        )

    seconds_each = http["seconds"] / ROUNDS

    def read(name: str) -> str:
        rounds = http.get(f"{name}_rounds_ms")
        if not rounds:  # figures kept (`--only`) from a run that measured one load
            return f"{http[name]['cpu_ms']:.1f} ms"
        times = statistics.median(http[f"{name}_healthz_ratios"])
        return (
            f"{statistics.median(rounds):.1f} ms ({min(rounds):.1f} to {max(rounds):.1f}; "
            f"{times:.1f} times `/healthz`)"
        )

    register_cpu = statistics.mean(http[f"register_{n}"]["cpu_ms"] for n in (8, 32))
    health_cpu = statistics.mean(http[f"healthz_{n}"]["cpu_ms"] for n in (8, 32))

    def split(name: str) -> str:
        load = http[name]
        return (
            f"{load['machine_ms']:.1f} ms: web {load['cpu_ms']:.1f}, PostgreSQL "
            f"{load['postgres_ms']:.1f}, the load's client {load['client_ms']:.1f}"
        )

    machine = (
        "\n\nWhere the machine's CPU went, per request at 8 in flight (the whole machine, "
        "every core;\nthe web, PostgreSQL, Redis and the load's own client share its 2 "
        "cores, so the ratio of\nthroughputs is about the inverse ratio of these): "
        f"registration {split('register_8')};\n`/healthz` {split('healthz_8')}."
        if "machine_ms" in http["register_8"]  # measured since 2026-12-03
        else ""
    )
    scaling = "\n".join(
        f"| {n} | {workers[n]['runs']} | {workers[n]['seconds']:.1f} s | "
        f"{workers[n]['per_second']:.1f} | "
        f"{workers[n]['per_second'] / workers[1]['per_second']:.2f} |"
        for n in (1, 2, 4)
    )
    section = f"""## At scale (issue 13)

Measured in one run, on a machine shared with other work (its load is in the last line):
the ratios of one run count more than the absolute times.

**Registration** (`POST /api/v1/parties/` with a token and an `Idempotency-Key`, gunicorn 2
workers x 8 threads, PostgreSQL and Redis on this machine), against `GET /healthz` in the
same run: {ROUNDS} rounds at each number in flight, each {seconds_each:.0f} s of `/healthz` then
{seconds_each:.0f} s of registrations; the ratio of a round's throughputs, the median of the
rounds (and their range). Server CPU per request: registration {register_cpu:.1f} ms, `/healthz`
{health_cpu:.1f} ms (goal: registration <= 10 ms). Round trips per registration, asserted by
tests/arrivals/parties/test_registration_cost.py: at most 10 to PostgreSQL and 1 to Redis.

| in flight | registrations | `/healthz` | ratio: median (range) (goal >= 0.4) | p50 / p95 |
| --- | --- | --- | --- | --- |
{ratio(8)}
{ratio(32)}{machine}

**Reads** on a national city ({runs["spaces"]:,} spaces, {runs["parties"]:,} parties; the
database holds {runs["cities"]} of them), server CPU per request (goal <= 5 ms), in
{ROUNDS} rounds of {seconds_each:.0f} s, each after {seconds_each:.0f} s of `/healthz`: the
median of the rounds (their range; and the median of the rounds' ratios to `/healthz`'s
CPU): `GET /api/v1/capacity/?city=` {read("capacity")},
`GET /api/v1/shelters/?city=&has_free_beds=true` (50 a page) {read("shelters")}.

**Matching** through Django on the national city: the whole run (claim, snapshot, engine,
bulk writes, commit) {runs["national_ms"]:,.0f} ms (goal <= 1,500 ms), of which the engine
{runs["engine_ms"]:,} ms, {runs["placed"]:,} parties placed: the median of {runs["cities"]} cities,
each a copy of the instance (fastest {runs["national_range_ms"][0]:,.0f} ms, slowest
{runs["national_range_ms"][1]:,.0f} ms); the spaces' locks held at most {runs["lock_ms"]:,} ms
(goal <= 500 ms). Then one party registered in that city, whose backlog waits:
its incremental run took {runs["incremental_ms"]:.0f} ms (goal <= 20 ms), looking at
{runs["incremental_considered"]} party (placed: {runs["incremental_placed"]}).

**Registration to placement** at {latency["rate"]:.0f} registrations a second (one Celery worker
process, concurrency 2), {latency["placed"]} of {latency["parties"]} parties placed: p50
{latency["p50_ms"]:.0f} ms, p95 {latency["p95_ms"]:.0f} ms (goal <= 500 ms), max
{latency["max_ms"]:.0f} ms.

**Workers**: {workers[1]["runs"] // 3} cities of the `uralsk-night` instance (300 parties, 12
spaces each), each asked for a full run 3 times (the next once the last is done), by 1, 2
and 4 Celery worker processes (one run at a time each) against one PostgreSQL and one Redis:

| worker processes | runs | time | runs per second | against 1 |
| --- | --- | --- | --- | --- |
{scaling}

Machine: {where}. Reproduce: `make bench` or `.venv/bin/python -m benchmarks.scale`."""
    write_section(DOC, START, END, section)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.scale")
    parser.add_argument("--seconds", type=float, default=10, help="of each load")
    parser.add_argument("--parties", type=int, default=200, help="registered at 20/s")
    parser.add_argument("--cities", type=int, default=8)
    parser.add_argument(
        "--only",
        choices=["runs", "workers"],
        help="measure again only these, keeping the other figures of the last run",
    )
    args = parser.parse_args(argv)
    kept = ROOT / "artifacts" / "bench-scale" / "figures.json"
    figures = json.loads(kept.read_text()) if args.only and kept.exists() else {}
    if args.only and not {"http", "runs", "latency", "workers"} <= figures.keys():
        # The section is written from every part: the others come from the last whole run.
        parser.error(f"--only {args.only} needs a whole run's figures first ({kept})")

    env = _environment()
    server = env["DATABASE_URL"].rsplit("/", 1)[0]
    try:
        import psycopg
        import redis

        with psycopg.connect(f"{server}/postgres", autocommit=True) as conn:
            conn.execute(f"DROP DATABASE IF EXISTS {BENCH_DB} WITH (FORCE)")
            conn.execute(f"CREATE DATABASE {BENCH_DB}")
        redis.Redis.from_url(env["REDIS_URL"]).flushdb()
    except Exception as error:  # noqa: BLE001 - any failure means the servers are not there
        print(f"benchmarks.scale skipped: needs PostgreSQL and Redis ({error})")
        return 0
    os.environ.update(env)
    subprocess.run(
        [sys.executable, "manage.py", "migrate", "--noinput", "-v0"],
        cwd=ROOT,
        env=os.environ,
        check=True,
    )
    (ROOT / "artifacts" / "bench-scale").mkdir(parents=True, exist_ok=True)
    import django

    django.setup()
    from django.db import connections

    if args.only in (None, "runs"):
        runs = measure_runs()
        city = runs.pop("city")
        figures["runs"] = runs
        print("runs:", runs)
        connections.close_all()
        if args.only is None:
            figures["http"] = measure_http(env, seconds=args.seconds, national_city=city)
            print("http:", figures["http"])
            latency = measure_latency(env, parties=args.parties, rate=20.0)
            figures["latency"] = latency | {"rate": 20.0}
            print("latency:", figures["latency"])
    if args.only in (None, "workers"):
        workers = measure_workers(env, cities=args.cities, rounds=3)
        figures["workers"] = {str(n): value for n, value in workers.items()}
        print("workers:", workers)
    connections.close_all()
    figures.setdefault("machine", {})[args.only or "all"] = machine()
    kept.write_text(json.dumps(figures, indent=1, default=str))
    where = "; ".join(f"{part}: {line}" for part, line in figures["machine"].items())
    write_doc(
        figures["http"],
        figures["runs"],
        figures["latency"],
        {int(n): value for n, value in figures["workers"].items()},
        where,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
