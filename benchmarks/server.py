"""A gunicorn of this repository on a free loopback port, for the benchmarks and the tests
that need the real server (tests/security).

It runs with config/gunicorn.py (the production gunicorn settings: gthread workers, no
recycling, JSON logs) and, by default, the test settings on a SQLite file of its own
(migrated first), so it needs no PostgreSQL or Redis and never touches their data:
DATABASE_URL and REDIS_URL are not passed on.
"""

from __future__ import annotations

import http.client
import os
import platform
import signal
import socket
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
# Taken from the caller's environment; everything else is set here.
PASSED_THROUGH = ("PATH", "HOME", "LANG", "LC_ALL", "TMPDIR", "PYTHONPATH")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def proc_status(pid: int, field: str) -> int:
    """A `kB` field of /proc/<pid>/status (VmRSS: resident now, VmHWM: its peak), in KiB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise KeyError(field)


def reset_peak(pid: int) -> bool:
    """Start VmHWM afresh at the current RSS (Linux >= 4.0); False where not allowed."""
    try:
        Path(f"/proc/{pid}/clear_refs").write_text("5")
    except OSError:
        return False
    return True


def cpu_name() -> str:
    """The processor's model name (from /proc/cpuinfo where there is one)."""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def machine() -> str:
    cpu = cpu_name()
    try:
        load = "load average {:.1f} / {:.1f} over 1 / 5 min".format(*os.getloadavg()[:2])
    except OSError:
        load = "load average unknown"
    return (
        f"{os.cpu_count()} CPUs ({cpu}), Python {platform.python_version()}, "
        f"{platform.system()} {platform.release()}, {load}, "
        f"measured {datetime.now(UTC):%Y-%m-%d %H:%M} UTC"
    )


def write_section(doc: Path, start: str, end: str, section: str) -> None:
    """Replace the part of `doc` between the markers (or add it at the end)."""
    text = doc.read_text() if doc.exists() else "# Berth benchmarks\n"
    block = f"{start}\n{section.strip()}\n{end}"
    if start in text and end in text:
        text = text[: text.index(start)] + block + text[text.index(end) + len(end) :]
    else:
        text = text.rstrip("\n") + "\n\n" + block + "\n"
    doc.write_text(text)


class Gunicorn:
    """`gunicorn -c config/gunicorn.py config.wsgi` on 127.0.0.1:<free port>.

    Its access log (standard output) and error log (standard error, where Django's own
    log lines go too) are written to files in `workdir`.
    """

    def __init__(
        self,
        workdir: Path,
        *,
        args: tuple[str, ...] = (),
        env: dict[str, str] | None = None,
        settings: str = "config.settings.test",
        migrate: bool = True,
    ) -> None:
        self.workdir = Path(workdir)
        self.args = args
        self.port = free_port()
        self.access_log = self.workdir / "access.log"
        self.error_log = self.workdir / "error.log"
        self.env = {name: os.environ[name] for name in PASSED_THROUGH if name in os.environ}
        self.env.update(
            {
                "DJANGO_SETTINGS_MODULE": settings,
                "SQLITE_PATH": str(self.workdir / "berth.sqlite3"),
                "PYTHONUNBUFFERED": "1",
                "PYTHONDONTWRITEBYTECODE": "1",
                "LOG_LEVEL": "INFO",
                **(env or {}),
            }
        )
        self.migrate = migrate
        self.process: subprocess.Popen | None = None

    @property
    def host(self) -> str:
        return "127.0.0.1"

    def connection(self, timeout: float = 10) -> http.client.HTTPConnection:
        return http.client.HTTPConnection(self.host, self.port, timeout=timeout)

    def start(self, timeout: float = 60) -> Gunicorn:
        self.workdir.mkdir(parents=True, exist_ok=True)
        if self.migrate:
            subprocess.run(
                [sys.executable, "manage.py", "migrate", "--noinput", "-v0"],
                cwd=REPO,
                env=self.env,
                check=True,
            )
        command = [
            sys.executable,
            "-m",
            "gunicorn",
            "-c",
            "config/gunicorn.py",
            "config.wsgi:application",
            "--bind",
            f"{self.host}:{self.port}",
            *self.args,
        ]
        self.process = subprocess.Popen(
            command,
            cwd=REPO,
            env=self.env,
            stdout=self.access_log.open("ab"),
            stderr=self.error_log.open("ab"),
            start_new_session=True,
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"gunicorn exited: {self.error_log.read_text()[-3000:]}")
            try:
                connection = self.connection(timeout=2)
                connection.request("GET", "/healthz")
                connection.getresponse().read()
                connection.close()
                return self
            except OSError:
                time.sleep(0.2)
        self.stop()
        raise RuntimeError(f"gunicorn did not answer: {self.error_log.read_text()[-3000:]}")

    def workers(self) -> list[int]:
        """The worker processes' ids (children of the master)."""
        assert self.process is not None
        path = Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children")
        return [int(pid) for pid in path.read_text().split()]

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=40)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=10)

    def __enter__(self) -> Gunicorn:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()
