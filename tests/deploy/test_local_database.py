"""The database of `make run`: a SQLite file, as a new process of the local settings
opens it (the settings read the environment at import, hence a subprocess)."""

import json
import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
PASSED_THROUGH = ("PATH", "HOME", "LANG", "LC_ALL", "TMPDIR")

SHOW = """
import json
from django.db import connection
with connection.cursor() as cursor:
    pragmas = {
        name: cursor.execute(f"PRAGMA {name}").fetchone()[0]
        for name in ("journal_mode", "synchronous", "busy_timeout")
    }
print(json.dumps({"vendor": connection.vendor, **pragmas}))
"""


def test_make_runs_sqlite_file_is_in_wal_mode_and_writers_queue(tmp_path):
    env = {name: os.environ[name] for name in PASSED_THROUGH if name in os.environ}
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "config.settings.local",
            "SQLITE_PATH": str(tmp_path / "berth.sqlite3"),
            "PYTHONDONTWRITEBYTECODE": "1",
        }
    )
    done = subprocess.run(  # noqa: S603 - our own interpreter and manage.py
        [sys.executable, "manage.py", "shell", "-c", SHOW],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    shown = json.loads(done.stdout.strip().splitlines()[-1])
    # WAL: readers never wait for the writer; NORMAL (1): a commit waits for no flush
    # to the disk; a writer waits up to 20 s for another, rather than failing.
    assert shown == {
        "vendor": "sqlite",
        "journal_mode": "wal",
        "synchronous": 1,
        "busy_timeout": 20000,
    }
