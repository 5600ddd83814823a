"""Benchmark of the field app on a slow network: ``python -m benchmarks.field_app``.

A volunteer's phone (390x844) opens `/register/`, logged in, over a network that
Chromium's emulation slows down (CDP `Network.emulateNetworkConditions`), served by
gunicorn (benchmarks/server.py) with static files as in production: collected, named by
their content and compressed beforehand (benchmarks/field_settings.py).

- *first load*: a phone that never opened Berth (no HTTP cache, no service worker);
- *from the cache*: the same phone again, its service worker installed.

*usable*: from the start of the navigation until the form is ready for typing (the mark
`berth-ready` that static/berth/register.js sets once it has started and put back any
draft). *transferred*: what went over the wire for the page's own requests (CDP
`encodedDataLength`: compressed bodies and their headers). Budgets (issue 9): usable in at
most 2 s on first load and 0.5 s from the cache on slow 3G; at most 60 KB transferred.

Needs Debian's chromium (/usr/bin/chromium, or BERTH_CHROMIUM) and playwright (the dev
extras). Writes the part of docs/benchmarks.md between ``<!-- field-app:start -->`` and
``<!-- field-app:end -->``.
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import statistics
import subprocess
import sys
import tempfile
import urllib.request
from pathlib import Path
from urllib.parse import urlsplit

from benchmarks.server import REPO, Gunicorn, machine, write_section

DOC = REPO / "docs" / "benchmarks.md"
START = "<!-- field-app:start -->"
END = "<!-- field-app:end -->"
CHROMIUM = Path(os.environ.get("BERTH_CHROMIUM", "/usr/bin/chromium"))
PHONE = {"viewport": {"width": 390, "height": 844}, "device_scale_factor": 2, "is_mobile": True}
USERNAME, PASSWORD = "bench-volunteer", "bench-password-2022-field"
# Throughput in bytes a second; latency added to every request, in ms.
PROFILES = {
    "slow 3G": {"latency": 400, "downloadThroughput": 50_000, "uploadThroughput": 50_000},
    "DevTools' Slow 3G": {
        "latency": 2000,
        "downloadThroughput": 50_000,
        "uploadThroughput": 50_000,
    },
}
BUDGET_FIRST_MS, BUDGET_CACHED_MS, BUDGET_BYTES = 2000, 500, 60 * 1024

SETUP = f"""
from django.contrib.auth import get_user_model
from accounts.models import Membership, Role
from shelters.models import City
city = City.objects.create(name="Uralsk", timezone="Asia/Oral")
user = get_user_model().objects.create_user({USERNAME!r}, password={PASSWORD!r})
Membership.objects.create(user=user, role=Role.VOLUNTEER).cities.set([city])
"""

WAIT_FOR_WORKER = """async () => {
    for (let i = 0; i < 400; i++) {
        if (navigator.serviceWorker.controller && (await caches.match('/register/'))) {
            return true;
        }
        await new Promise((resolve) => setTimeout(resolve, 50));
    }
    return false;
}"""
READY = "performance.getEntriesByName('berth-ready')[0].startTime"


def _manage(server: Gunicorn, *args: str) -> None:
    subprocess.run([sys.executable, "manage.py", *args], cwd=REPO, env=server.env, check=True)


def _log_in(browser, base: str) -> list[dict]:
    context = browser.new_context(base_url=base, **PHONE)
    page = context.new_page()
    page.goto("/accounts/login/?next=/register/")
    page.fill("#id_username", USERNAME)
    page.fill("#id_password", PASSWORD)
    page.click("form[data-login] button[type=submit]")
    page.wait_for_selector("form[data-ready]")
    cookies = context.cookies()
    context.close()
    return cookies


class Phone:
    """A new browser context on an emulated network, counting what its page transfers."""

    def __init__(self, browser, base: str, cookies: list[dict], profile: dict) -> None:
        self.context = browser.new_context(base_url=base, **PHONE)
        self.context.add_cookies(cookies)
        self.page = self.context.new_page()
        self.cdp = self.context.new_cdp_session(self.page)
        self.cdp.send("Network.enable")
        self.cdp.send(
            "Network.emulateNetworkConditions",
            {"offline": False, "connectionType": "cellular3g", **profile},
        )
        self.responses: dict[str, dict] = {}
        self.cdp.on("Network.responseReceived", self._response)
        self.cdp.on("Network.loadingFinished", self._finished)

    def _response(self, event: dict) -> None:
        response = event["response"]
        headers = {name.lower(): value for name, value in response.get("headers", {}).items()}
        self.responses[event["requestId"]] = {
            "url": response["url"],
            "encoding": headers.get("content-encoding", ""),
            "from_worker": response.get("fromServiceWorker", False),
            "bytes": 0,
        }

    def _finished(self, event: dict) -> None:
        if event["requestId"] in self.responses:
            self.responses[event["requestId"]]["bytes"] = event["encodedDataLength"]

    def open_register(self) -> float:
        self.responses.clear()
        self.page.goto("/register/", wait_until="load")
        self.page.wait_for_selector("form[data-ready]")
        self.page.wait_for_load_state("networkidle")
        return self.page.evaluate(READY)

    def transferred(self) -> list[dict]:
        return [r for r in self.responses.values() if not r["from_worker"]]

    def close(self) -> None:
        self.context.close()


def _kept_by_worker(base: str) -> tuple[int, int]:
    """How many files the service worker keeps, and their compressed size."""
    with urllib.request.urlopen(f"{base}/sw.js", timeout=10) as answer:  # noqa: S310
        settings = json.loads(answer.read().decode().split("\n", 1)[0][len("self.BERTH = ") : -1])
    total = 0
    for path in settings["precache"]:
        request = urllib.request.Request(  # noqa: S310 - our own server on the loopback
            f"{base}{path}", headers={"Accept-Encoding": "gzip"}
        )
        with urllib.request.urlopen(request, timeout=10) as answer:  # noqa: S310
            body = answer.read()
            if answer.headers.get("Content-Encoding") != "gzip" and not path.endswith(".png"):
                body = gzip.compress(body)  # what a compressing proxy would send
            total += len(body)
    return len(settings["precache"]) + 2, total  # and the offline page and the shell


def measure(browser, base: str, cookies: list[dict], profile: dict, runs: int) -> dict:
    first, cached, transfers = [], [], []
    for _ in range(runs):
        phone = Phone(browser, base, cookies, profile)
        try:
            first.append(phone.open_register())
            transfers.append(phone.transferred())
            if not phone.page.evaluate(WAIT_FOR_WORKER):
                raise RuntimeError("the service worker did not take the page")
            for _ in range(3):
                cached.append(phone.open_register())
        finally:
            phone.close()
    return {"first": first, "cached": cached, "transfers": transfers}


def _kb(value: float) -> str:
    return f"{value / 1024:.1f} KB"


def _ms(value: float) -> str:
    return f"{value:,.0f} ms"


def report(results: dict[str, dict], kept: tuple[int, int]) -> str:
    budget = results["slow 3G"]
    transfer = budget["transfers"][0]
    total = sum(r["bytes"] for r in transfer)
    lines = [
        "## The field app on a slow network",
        "",
        "`/register/` opened by a logged-in volunteer's phone (390x844, Chromium) over an",
        "emulated network (CDP `Network.emulateNetworkConditions`), from gunicorn on this",
        "machine with static files as in production (collected, named by their content,",
        "compressed beforehand, served by WhiteNoise). *usable*: from the start of the",
        "navigation until the form is ready for typing (`register.js` started, any draft put",
        "back: the mark `berth-ready`). *first load*: a phone that never opened Berth;",
        "*from the cache*: the same phone again, its service worker installed (3 loads each).",
        "",
        "| network | first load, median (max) | from the cache, median (max) | budget |",
        "| --- | --- | --- | --- |",
    ]
    for name, result in results.items():
        profile = PROFILES[name]
        rate = profile["downloadThroughput"] * 8 // 1000
        budget_text = (
            f"{_ms(BUDGET_FIRST_MS)} / {_ms(BUDGET_CACHED_MS)}" if name == "slow 3G" else "-"
        )
        lines.append(
            f"| {name}: {profile['latency']} ms a request, {rate} kbit/s "
            f"| {_ms(statistics.median(result['first']))} ({_ms(max(result['first']))}) "
            f"| {_ms(statistics.median(result['cached']))} ({_ms(max(result['cached']))}) "
            f"| {budget_text} |"
        )
    lines += [
        "",
        "*slow 3G* is the budget's network: 400 ms round trip and 400 kbit/s, as WebPageTest's",
        '"3G Slow" profile. Chrome DevTools\' *Slow 3G* preset adds 2,000 ms to every request',
        "(its 400 ms round trip times 5): there no page that needs even one request can be",
        "usable in 2 s, and the kept copy is what makes the registration page usable at once.",
        "",
        f"Transferred on the first load: **{_kb(total)}** (budget {_kb(BUDGET_BYTES)}), "
        "compressed bodies with their headers:",
        "",
        "| request | encoding | transferred |",
        "| --- | --- | --- |",
    ]
    for response in sorted(transfer, key=lambda r: -r["bytes"]):
        path = urlsplit(response["url"]).path
        lines.append(f"| `{path}` | {response['encoding'] or '-'} | {_kb(response['bytes'])} |")
    files, size = kept
    lines += [
        "",
        f"After the first load the service worker keeps {files} files ({_kb(size)} "
        "transferred, mostly the install icons) in the background, so the page opens with no",
        "network.",
        "",
        f"Machine: {machine()}. Reproduce: `make bench` or `.venv/bin/python -m "
        "benchmarks.field_app` (needs chromium and playwright).",
    ]
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3, help="first loads per network")
    parser.add_argument("--no-write", action="store_true", help="print, leave the doc alone")
    options = parser.parse_args()
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        print("benchmarks.field_app: skipped, playwright is not installed")
        return 0
    if not CHROMIUM.exists():
        print(f"benchmarks.field_app: skipped, no {CHROMIUM} (apt-get install chromium)")
        return 0
    with tempfile.TemporaryDirectory(prefix="berth-field-bench-") as workdir:
        env = {"BENCH_STATIC_ROOT": str(Path(workdir) / "static")}
        server = Gunicorn(Path(workdir), settings="benchmarks.field_settings", env=env)
        server.env.update(env)
        _manage(server, "collectstatic", "--noinput", "-v0")
        with server:
            _manage(server, "shell", "-c", SETUP)
            base = f"http://{server.host}:{server.port}"
            with sync_playwright() as api:
                browser = api.chromium.launch(executable_path=str(CHROMIUM))
                cookies = _log_in(browser, base)
                results = {
                    name: measure(browser, base, cookies, profile, options.runs)
                    for name, profile in PROFILES.items()
                }
                browser.close()
            kept = _kept_by_worker(base)
    section = report(results, kept)
    print(section)
    if not options.no_write:
        write_section(DOC, START, END, section)
    return 0


if __name__ == "__main__":
    sys.exit(main())
