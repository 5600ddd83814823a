#!/usr/bin/env python
"""Container health checks; exit 0 when healthy.

`healthcheck.py` (the web role): GET /healthz on this container must answer 200. It
sends a Host header taken from ALLOWED_HOSTS, because Django answers 400 to a host it
does not serve. /healthz is exempt from the HTTPS redirect, so plain HTTP is fine here.

`healthcheck.py beat`: beat's last tick, which it records in the cache (config.beat), is
at most BEAT_TICK_MAX_AGE_SECONDS old.
"""

import os
import sys
import urllib.error
import urllib.request


def host() -> str:
    for name in os.environ.get("ALLOWED_HOSTS", "").split(","):
        name = name.strip()
        if name and name != "*":
            return name.lstrip(".")  # ".example.org" also serves example.org
    return "localhost"


def beat() -> int:
    import time

    import django

    django.setup()
    from django.conf import settings
    from django.core.cache import cache

    from config.metrics import BEAT_TICK_KEY

    try:
        tick = cache.get(BEAT_TICK_KEY)
    except Exception as error:  # noqa: BLE001 - any failure is an unhealthy answer
        print(f"cache unreachable: {error!r}")
        return 1
    if tick is None:
        print("beat has not ticked yet")
        return 1
    age = time.time() - tick
    print(f"last tick {age:.0f}s ago")
    return 0 if age <= settings.BEAT_TICK_MAX_AGE_SECONDS else 1


def main() -> int:
    if sys.argv[1:] == ["beat"]:
        return beat()
    port = os.environ.get("PORT", "8000")
    request = urllib.request.Request(f"http://127.0.0.1:{port}/healthz", headers={"Host": host()})
    try:
        # A fixed http URL on this container.
        with urllib.request.urlopen(request, timeout=4) as response:  # noqa: S310
            print(response.status, response.read(200).decode(errors="replace"))
            return 0 if response.status == 200 else 1
    except urllib.error.HTTPError as error:
        print(error.code, error.read(200).decode(errors="replace"))
    except OSError as error:
        print(f"no answer: {error}")
    return 1


if __name__ == "__main__":
    sys.exit(main())
