"""Benchmark of the matching engine: ``python -m benchmarks.matching [--only NAME ...]``.

For each seeded instance (benchmarks/instances.py) it writes the instance as JSON under
benchmarks/instances/ (not committed), then measures:

* the engine: ``solve()`` time, best of 3, and its answer's weight;
* the greedy baseline (first come, first fitting space);
* the whole ``python -m arrivals.matching INSTANCE.json`` process, best of 3;
* the exact optimum with SciPy's MILP (HiGHS) under a time limit, or its upper bound;
* ``violations() == []`` for the engine and the greedy answers.

It rewrites the part of docs/benchmarks.md between ``<!-- matching:start -->`` and
``<!-- matching:end -->`` and leaves the rest of the file alone. Exit status 1 when an answer
breaks a rule or the process disagrees with the engine; the quality and speed bars are printed.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import subprocess
import sys
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from arrivals.matching import (
    greedy,
    instance_from_json,
    instance_to_json,
    solve,
    violations,
)

from .instances import GENERATORS, Instance
from .server import cpu_name

ROOT = Path(__file__).resolve().parent.parent
INSTANCE_DIR = ROOT / "benchmarks" / "instances"
DOC = ROOT / "docs" / "benchmarks.md"
START = "<!-- matching:start -->"
END = "<!-- matching:end -->"
QUALITY_BAR = 0.995
ENGINE_BAR_MS = 1000.0
PROCESS_BAR_MS = 2000.0
SPEED_BAR_INSTANCE = "national"
COLUMNS = (
    "instance",
    "parties",
    "people",
    "spaces",
    "beds",
    "bound",
    "greedy",
    "engine",
    "engine ms",
    "engine CPU ms",
    "process ms",
    "process CPU ms",
    "exact s",
)


@dataclass
class Row:
    name: str
    parties: int
    people: int
    spaces: int
    beds: int
    bound: str
    greedy: str
    engine: str
    engine_ms: float
    engine_cpu_ms: float
    process_ms: float
    process_cpu_ms: float
    exact_s: str
    problems: list[str]
    quality: float | None

    def cells(self) -> list[str]:
        return [
            self.name,
            f"{self.parties:,}",
            f"{self.people:,}",
            f"{self.spaces:,}",
            f"{self.beds:,}",
            self.bound,
            self.greedy,
            self.engine,
            f"{self.engine_ms:.0f}",
            f"{self.engine_cpu_ms:.0f}",
            f"{self.process_ms:.0f}",
            f"{self.process_cpu_ms:.0f}",
            self.exact_s,
        ]


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _best_of(repeat: int, action, cpu=time.process_time) -> tuple[float, float, object]:
    """Best wall-clock and best CPU seconds of ``repeat`` runs, and the last result."""
    best = best_cpu = float("inf")
    result = None
    for _ in range(repeat):
        start_cpu = cpu()
        start = time.perf_counter()
        result = action()
        best = min(best, time.perf_counter() - start)
        best_cpu = min(best_cpu, cpu() - start_cpu)
    return best, best_cpu, result


def _quality(weight: int, bound: int | None) -> str:
    if not bound:
        return f"{weight:,}"
    return f"{weight / bound:.4f} ({weight:,})"


def measure(instance: Instance, *, repeat: int, time_limit: float, exact: bool) -> Row:
    INSTANCE_DIR.mkdir(parents=True, exist_ok=True)
    path = INSTANCE_DIR / f"{instance.name}.json"
    path.write_text(json.dumps(instance_to_json(instance.spaces, instance.parties)))
    # Everything below works on the instance as read back from its file.
    spaces, parties = instance_from_json(json.loads(path.read_text()))
    problems: list[str] = []

    engine_s, engine_cpu, answer = _best_of(repeat, lambda: solve(spaces=spaces, parties=parties))
    baseline = greedy(spaces=spaces, parties=parties)
    for label, result in (("engine", answer), ("greedy", baseline)):
        problems += [
            f"{label}: {p}" for p in violations(spaces=spaces, parties=parties, answer=result)
        ]

    def run_process() -> subprocess.CompletedProcess:
        return subprocess.run(
            [sys.executable, "-m", "arrivals.matching", str(path)],
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=False,
        )

    process_s, process_cpu, completed = _best_of(repeat, run_process, _children_cpu)
    if completed.returncode != 0:
        problems.append(f"process: exit {completed.returncode}: {completed.stderr.strip()}")
    elif json.loads(completed.stdout)["weight"] != answer.weight:
        problems.append("process: its weight differs from solve()'s")

    bound = None
    bound_cell = "n/a"
    exact_cell = "skipped"
    if exact:
        try:
            from .exact import solve_exact
        except ImportError:  # numpy/scipy are the bench extra
            exact_cell = "no scipy"
        else:
            result = solve_exact(spaces, parties, time_limit=time_limit)
            bound = result.bound if result.bound >= 0 else None
            if result.optimal:
                bound_cell = f"{result.bound:,} (optimum)"
                exact_cell = f"{result.seconds:.1f}"
            else:
                gap = (result.bound - result.value) / result.bound if result.bound > 0 else 0
                bound_cell = f"{result.bound:,} (upper bound)"
                exact_cell = f"{result.seconds:.0f} (limit; best {result.value:,}, gap {gap:.2%})"
    quality = answer.weight / bound if bound else None
    return Row(
        name=instance.name,
        parties=len(parties),
        people=sum(len(p.members) for p in parties),
        spaces=len(spaces),
        beds=sum(max(s.beds, 0) for s in spaces),
        bound=bound_cell,
        greedy=_quality(baseline.weight, bound),
        engine=_quality(answer.weight, bound),
        engine_ms=engine_s * 1000,
        engine_cpu_ms=engine_cpu * 1000,
        process_ms=process_s * 1000,
        process_cpu_ms=process_cpu * 1000,
        exact_s=exact_cell,
        problems=problems,
        quality=quality,
    )


def _table(rows: list[list[str]]) -> str:
    lines = ["| " + " | ".join(COLUMNS) + " |", "|" + "---|" * len(COLUMNS)]
    lines += ["| " + " | ".join(cells) + " |" for cells in rows]
    return "\n".join(lines)


def _old_rows(text: str) -> dict[str, list[str]]:
    """Rows of the table already in the doc, by instance (kept when --only is used)."""
    if START not in text or END not in text:
        return {}
    section = text[text.index(START) : text.index(END)]
    rows = {}
    for line in section.splitlines():
        if line.startswith("| ") and not line.startswith("| instance |"):
            cells = [c.strip() for c in line.strip().strip("|").split("|")]
            if len(cells) == len(COLUMNS):
                rows[cells[0]] = cells
    return rows


def _machine() -> str:
    cpu = cpu_name()
    return (
        f"{os.cpu_count()} CPUs ({cpu}), Python {platform.python_version()} "
        f"({platform.python_implementation()}), {platform.system()} {platform.release()}, "
        f"measured {datetime.now(UTC):%Y-%m-%d %H:%M} UTC"
    )


def _load() -> str:
    try:
        one, five, _ = os.getloadavg()
    except OSError:
        return "load average unknown"
    return f"load average {one:.1f} / {five:.1f} over 1 / 5 min when written"


def write_doc(rows: list[Row], *, time_limit: float) -> None:
    text = DOC.read_text() if DOC.exists() else "# Berth benchmarks\n"
    merged = _old_rows(text)
    for row in rows:
        merged[row.name] = row.cells()
    order = list(GENERATORS)
    table = _table(
        sorted(
            merged.values(),
            key=lambda c: (c[0] not in order, order.index(c[0]) if c[0] in order else 0, c[0]),
        )
    )
    section = f"""{START}
## Matching engine

{table}

- *bound*: the optimum of the integer program over party types x spaces (SciPy `milp`,
  HiGHS), or, where it did not finish within {time_limit:.0f} s, its proven upper (dual)
  bound. *greedy* and *engine*: weight placed over that bound (weight in brackets); the bar
  is {QUALITY_BAR} on every instance. *greedy* is first come, first fitting space.
- *engine ms*: `solve()` alone, wall clock, best of 3 (bar: {ENGINE_BAR_MS:.0f} ms on
  `national`). *process ms*: the whole `python -m arrivals.matching INSTANCE.json`, reading
  the file and printing the answer, best of 3 (bar: {PROCESS_BAR_MS:.0f} ms on `national`).
  The *CPU ms* columns are the CPU time of the same runs: on a shared machine the wall clock
  also counts waiting for a core ({_load()}).
- Every answer of the engine and of the greedy passed `violations()`.
- Machine: {_machine()}. Rows of instances measured at another time keep their figures.

Reproduce: `make bench`, or `.venv/bin/python -m benchmarks.matching` from the repository
(`--only national` for one instance, `--time-limit 120` for the exact solver, `--no-exact`
to skip it). Instances are seeded (benchmarks/instances.py) and written to
`benchmarks/instances/*.json`, which `python -m arrivals.matching` replays.
{END}"""
    if START in text and END in text:
        text = text[: text.index(START)] + section + text[text.index(END) + len(END) :]
    else:
        text = text.rstrip("\n") + "\n\n" + section + "\n"
    DOC.parent.mkdir(parents=True, exist_ok=True)
    DOC.write_text(text)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.matching")
    parser.add_argument(
        "--only", action="append", choices=list(GENERATORS), help="run this instance only"
    )
    parser.add_argument("--time-limit", type=float, default=120.0, help="exact solver, s")
    parser.add_argument("--no-exact", action="store_true", help="skip the exact solver")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--no-doc", action="store_true", help="do not update the doc")
    args = parser.parse_args(argv)
    names = args.only or list(GENERATORS)
    rows = []
    failed = False
    for name in names:
        instance = GENERATORS[name]()
        print(
            f"{name}: {len(instance.parties):,} parties, {len(instance.spaces):,} spaces ...",
            flush=True,
        )
        row = measure(
            instance, repeat=args.repeat, time_limit=args.time_limit, exact=not args.no_exact
        )
        rows.append(row)
        print(
            "  " + " | ".join(f"{k}: {v}" for k, v in zip(COLUMNS, row.cells(), strict=True)),
            flush=True,
        )
        for problem in row.problems:
            print(f"  PROBLEM {problem}", flush=True)
            failed = True
        if row.quality is not None and row.quality < QUALITY_BAR:
            print(f"  BELOW BAR: quality {row.quality:.4f} < {QUALITY_BAR}", flush=True)
        if name == SPEED_BAR_INSTANCE:
            if row.engine_ms > ENGINE_BAR_MS:
                print(f"  BELOW BAR: engine {row.engine_ms:.0f} ms > {ENGINE_BAR_MS:.0f}")
            if row.process_ms > PROCESS_BAR_MS:
                print(f"  BELOW BAR: process {row.process_ms:.0f} ms > {PROCESS_BAR_MS:.0f}")
    if not args.no_doc:
        write_doc(rows, time_limit=args.time_limit)
        print(f"wrote {DOC.relative_to(ROOT)}")
    print(_table([r.cells() for r in rows]))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
