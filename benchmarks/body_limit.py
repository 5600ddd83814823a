"""Benchmark of the body limit: ``python -m benchmarks.body_limit``.

Starts gunicorn (benchmarks/server.py: config/gunicorn.py, test settings, SQLite) on a free
loopback port and sends 100 MB bodies, without logging in, as fast as the loopback takes
them: JSON to the token endpoint with a Content-Length, the same chunked (no length), and a
form to the login page. For each, the time from the first byte sent to the whole answer
(413), how much of the body had gone out by then, and the increase of the peak resident
memory (VmHWM, reset before each request) of the gunicorn worker processes.

`--compare` adds the same JSON request to a server whose limit is raised past 100 MB, as
it was before the limit (slow: it reads and parses the whole body). Writes the part of
docs/benchmarks.md between ``<!-- body-limit:start -->`` and ``<!-- body-limit:end -->``.
"""

from __future__ import annotations

import argparse
import json
import select
import socket
import statistics
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

from benchmarks.server import REPO, Gunicorn, machine, proc_status, reset_peak, write_section

DOC = REPO / "docs" / "benchmarks.md"
START = "<!-- body-limit:start -->"
END = "<!-- body-limit:end -->"
MB = 1000 * 1000
PIECE = 256 * 1024


def json_body(size: int) -> Iterator[bytes]:
    """`{"username": "aaa...", "password": "x"}` of exactly `size` bytes, piece by piece."""
    head, tail = b'{"username": "', b'", "password": "x"}'
    left = size - len(head) - len(tail)
    yield head
    while left > 0:
        n = min(PIECE, left)
        yield b"a" * n
        left -= n
    yield tail


def form_body(size: int) -> Iterator[bytes]:
    head = b"username=x&password="
    left = size - len(head)
    yield head
    while left > 0:
        n = min(PIECE, left)
        yield b"a" * n
        left -= n


def _chunked(pieces: Iterator[bytes]) -> Iterator[bytes]:
    for piece in pieces:
        yield b"%x\r\n%s\r\n" % (len(piece), piece)
    yield b"0\r\n\r\n"


def _complete(answer: bytes) -> bool:
    if b"\r\n\r\n" not in answer:
        return False
    head, body = answer.split(b"\r\n\r\n", 1)
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            return len(body) >= int(value)
    return body.endswith(b"0\r\n\r\n")  # chunked


def send(
    port: int,
    path: str,
    pieces: Iterator[bytes],
    *,
    content_type: str,
    length: int | None,
    timeout: float = 600,
) -> dict:
    """POST a body while reading: stop sending as soon as the whole answer is in."""
    headers = [f"POST {path} HTTP/1.1", f"Host: 127.0.0.1:{port}", f"Content-Type: {content_type}"]
    if length is None:
        headers.append("Transfer-Encoding: chunked")
        pieces = _chunked(pieces)
    else:
        headers.append(f"Content-Length: {length}")
    pending = ("\r\n".join(headers) + "\r\n\r\n").encode()
    sock = socket.create_connection(("127.0.0.1", port))
    sock.setblocking(False)
    answer, sent, reset = b"", 0, False
    started = time.perf_counter()
    deadline = started + timeout
    try:
        while not _complete(answer) and time.perf_counter() < deadline:
            if not pending:
                pending = next(pieces, b"")
            writable = [sock] if pending and not reset else []
            readable, writable, _ = select.select([sock], writable, [], 1)
            if readable:
                data = sock.recv(65536)
                if not data:
                    break
                answer += data
            if writable:
                try:
                    n = sock.send(pending)
                except (BrokenPipeError, ConnectionResetError):
                    reset = True
                    continue
                sent += n
                pending = pending[n:]
        elapsed = time.perf_counter() - started
    finally:
        sock.close()
    status_line = answer.split(b"\r\n", 1)[0].decode(errors="replace")
    body = answer.split(b"\r\n\r\n", 1)[1] if b"\r\n\r\n" in answer else b""
    return {"status_line": status_line, "body": body, "seconds": elapsed, "sent": sent}


def measure(server: Gunicorn, path: str, kind: str, size: int, repeat: int) -> dict:
    runs = []
    for _ in range(repeat):
        workers = server.workers()
        for pid in workers:
            reset_peak(pid)
        before = {pid: proc_status(pid, "VmRSS") for pid in workers}
        if kind == "form":
            result = send(
                server.port,
                path,
                form_body(size),
                content_type="application/x-www-form-urlencoded",
                length=size,
            )
        else:
            result = send(
                server.port,
                path,
                json_body(size),
                content_type="application/json",
                length=None if kind == "chunked" else size,
            )
        time.sleep(0.5)  # let the worker finish with the connection
        grown = max(proc_status(pid, "VmHWM") - before[pid] for pid in workers)
        runs.append({**result, "peak_growth_kib": grown})
    last = runs[-1]
    return {
        "path": path,
        "kind": kind,
        "status": last["status_line"],
        "body": last["body"][:200].decode(errors="replace"),
        "seconds": statistics.median(run["seconds"] for run in runs),
        "sent": statistics.median(run["sent"] for run in runs),
        "peak_growth_kib": max(run["peak_growth_kib"] for run in runs),
        "repeat": repeat,
    }


def _warm(server: Gunicorn) -> None:
    """Load every code path in each worker first: a good body, and a refused one of each kind."""
    for _ in range(10):
        connection = server.connection()
        connection.request(
            "POST",
            "/api/v1/auth/token/",
            body=json.dumps({"username": "x", "password": "y"}),
            headers={"Content-Type": "application/json"},
        )
        connection.getresponse().read()
        connection.close()
        for path, kind, _label in CASES:
            measure(server, path, kind, 2 * 1024 * 1024, 1)


CASES = [
    ("/api/v1/auth/token/", "json", "JSON, Content-Length"),
    ("/api/v1/auth/token/", "chunked", "JSON, chunked"),
    ("/accounts/login/", "form", "form, Content-Length"),
]


def run(size: int, repeat: int, compare: bool) -> dict:
    results = []
    with tempfile.TemporaryDirectory(prefix="berth-bench-") as workdir:
        with Gunicorn(Path(workdir) / "limited", args=("--workers", "2")) as server:
            _warm(server)
            for path, kind, label in CASES:
                result = measure(server, path, kind, size, repeat)
                results.append({**result, "label": label, "limit": "1 MiB"})
                print(json.dumps(results[-1]))
        if compare:
            unlimited = Gunicorn(
                Path(workdir) / "unlimited",
                args=("--workers", "2", "--timeout", "600"),
                env={"BERTH_MAX_BODY_BYTES": str(10 * size)},
            )
            with unlimited as server:
                _warm(server)
                result = measure(server, "/api/v1/auth/token/", "json", size, 1)
                results.append({**result, "label": "JSON, Content-Length", "limit": "none"})
                print(json.dumps(results[-1]))
    return {"size": size, "results": results, "machine": machine()}


def write_doc(report: dict) -> None:
    rows = "\n".join(
        f"| {r['label']} to `{r['path']}` | {r['limit']} | {r['status'].split(' ', 1)[-1]} | "
        f"{r['seconds'] * 1000:,.1f} ms | {r['sent'] / MB:,.1f} MB | "
        f"{r['peak_growth_kib'] / 1024:,.1f} MiB |"
        for r in report["results"]
    )
    repeat = report["results"][0]["repeat"]
    section = f"""
## Request bodies over the limit

A {report["size"] / MB:,.0f} MB body sent without logging in to gunicorn (config/gunicorn.py,
two gthread workers) on this machine's loopback, as fast as it takes it. *time*: from the
first byte sent to the whole answer; *sent*: how much of the body the client had written
by then (with a limit, that is what the loopback's socket buffers took: Berth read none of
a declared body, and 1 MiB and a byte of a chunked one); *peak memory*: the largest
increase of a worker's peak resident memory (VmHWM) during the request. Each limited row
is the median (memory: the maximum) of {repeat} requests; the row without a limit is the
same server with `BERTH_MAX_BODY_BYTES` raised past the body, as every request was before
the limit.

| request | limit | answer | time | sent | peak memory |
| --- | --- | --- | --- | --- | --- |
{rows}

Machine: {report["machine"]}. Reproduce: `make bench` or
`.venv/bin/python -m benchmarks.body_limit --compare` (no PostgreSQL or Redis needed).
"""
    write_section(DOC, START, END, section)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.body_limit")
    parser.add_argument("--size", type=int, default=100 * MB, help="body size in bytes")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--compare", action="store_true", help="also without the limit (slow)")
    parser.add_argument("--no-doc", action="store_true", help="do not write docs/benchmarks.md")
    args = parser.parse_args(argv)
    report = run(args.size, args.repeat, args.compare)
    for result in report["results"]:
        if result["limit"] != "none":
            assert result["status"].startswith("HTTP/1.1 413"), result
    if not args.no_doc:
        write_doc(report)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
