"""Benchmark of keep-alive requests under load: ``python -m benchmarks.keepalive``.

Starts gunicorn with the production gunicorn settings (config/gunicorn.py: three gthread
workers of four threads, no recycling; test settings on SQLite) on a free loopback port,
and fires `--requests` GET /healthz from `--clients` threads, each on one keep-alive
connection that it opens again only when the server says `Connection: close`. A request
that gets no answer (a reset, a closed connection) or not a 200 counts as lost; nothing is
retried. Also the resident memory of the workers before and after.

`--compare` does the same with workers recycled (`--max-requests 200
--max-requests-jitter 20`), as before, to show what recycling loses. Writes the part of
docs/benchmarks.md between ``<!-- keepalive:start -->`` and ``<!-- keepalive:end -->``.
"""

from __future__ import annotations

import argparse
import http.client
import itertools
import json
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path

from benchmarks.server import REPO, Gunicorn, machine, proc_status, write_section

DOC = REPO / "docs" / "benchmarks.md"
START = "<!-- keepalive:start -->"
END = "<!-- keepalive:end -->"


def fire(server: Gunicorn, *, requests: int, clients: int, path: str = "/healthz") -> dict:
    """`requests` GETs from `clients` threads on keep-alive connections; counts the lost."""
    numbers = itertools.count()
    lock = threading.Lock()
    outcome: Counter = Counter()

    def client() -> None:
        connection = server.connection(timeout=30)
        opened = 1
        seen: Counter = Counter()
        while next(numbers) < requests:
            try:
                connection.request("GET", path)
                response = connection.getresponse()
                response.read()
                seen["ok" if response.status == 200 else f"status {response.status}"] += 1
                if response.will_close:
                    connection.close()
                    connection = server.connection(timeout=30)
                    opened += 1
            except (OSError, http.client.HTTPException) as error:
                seen[type(error).__name__] += 1
                connection.close()
                connection = server.connection(timeout=30)
                opened += 1
        connection.close()
        seen["connections"] += opened
        with lock:
            outcome.update(seen)

    threads = [threading.Thread(target=client) for _ in range(clients)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - started
    connections = outcome.pop("connections", 0)
    ok = outcome.pop("ok", 0)
    return {
        "requests": requests,
        "clients": clients,
        "ok": ok,
        "lost": sum(outcome.values()),
        "errors": dict(outcome),
        "connections": connections,
        "seconds": elapsed,
        "per_second": requests / elapsed,
    }


def rss_mib(server: Gunicorn) -> float:
    return sum(proc_status(pid, "VmRSS") for pid in server.workers()) / 1024


def measure(workdir: Path, args: tuple[str, ...], *, requests: int, clients: int) -> dict:
    with Gunicorn(workdir, args=args) as server:
        fire(server, requests=60, clients=3)  # warm up every worker
        before = rss_mib(server)
        result = fire(server, requests=requests, clients=clients)
        time.sleep(1)
        after = rss_mib(server)
    log = (workdir / "error.log").read_text()
    return {
        **result,
        "args": " ".join(args) or "config/gunicorn.py",
        "recycled": log.count("Autorestarting worker"),
        "rss_before_mib": before,
        "rss_after_mib": after,
    }


def run(requests: int, clients: int, compare: bool) -> dict:
    results = []
    with tempfile.TemporaryDirectory(prefix="berth-bench-") as workdir:
        results.append(
            measure(Path(workdir) / "kept", (), requests=requests, clients=clients)
            | {"label": "no recycling (config/gunicorn.py)"}
        )
        print(json.dumps(results[-1]))
        if compare:
            recycled = ("--max-requests", "200", "--max-requests-jitter", "20")
            results.append(
                measure(Path(workdir) / "recycled", recycled, requests=requests, clients=clients)
                | {"label": "recycled: --max-requests 200 --max-requests-jitter 20"}
            )
            print(json.dumps(results[-1]))
    return {"results": results, "machine": machine()}


def write_doc(report: dict) -> None:
    rows = "\n".join(
        f"| {r['label']} | {r['requests']:,} | {r['lost']} "
        f"({', '.join(f'{k} {v}' for k, v in r['errors'].items()) or 'none'}) | "
        f"{r['recycled']} | {r['connections']:,} | {r['per_second']:,.0f} | "
        f"{r['rss_before_mib']:,.1f} → {r['rss_after_mib']:,.1f} MiB |"
        for r in report["results"]
    )
    first = report["results"][0]
    section = f"""
## Keep-alive requests under load

`GET /healthz` (a database and a cache round trip) {first["requests"]:,} times from
{first["clients"]} client threads, each on one keep-alive connection, against gunicorn with the
production gunicorn settings (config/gunicorn.py: 3 gthread workers x 4 threads) on this
machine's loopback. *lost*: requests that got no answer or not a 200 (nothing is retried);
*connections*: how many the clients opened (again only after `Connection: close`);
*memory*: the workers' resident memory together, before and after.

| workers | requests | lost | workers recycled | connections | requests/s | memory |
| --- | --- | --- | --- | --- | --- | --- |
{rows}

Machine: {report["machine"]}. Reproduce: `make bench` or
`.venv/bin/python -m benchmarks.keepalive --compare` (no PostgreSQL or Redis needed).
"""
    write_section(DOC, START, END, section)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.keepalive")
    parser.add_argument("--requests", type=int, default=3000)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--compare", action="store_true", help="also with recycled workers")
    parser.add_argument("--no-doc", action="store_true", help="do not write docs/benchmarks.md")
    args = parser.parse_args(argv)
    report = run(args.requests, args.clients, args.compare)
    assert report["results"][0]["lost"] == 0, report["results"][0]
    if not args.no_doc:
        write_doc(report)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
