#!/usr/bin/env python
"""Health check of the web role: GET /healthz on this container; exit 0 if it answers 200.

It sends a Host header taken from ALLOWED_HOSTS, because Django answers 400 to a
host it does not serve. /healthz is exempt from the HTTPS redirect, so plain HTTP
is fine here.
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


def main() -> int:
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
