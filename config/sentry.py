"""Error reports to Sentry (when SENTRY_DSN is set), without personal data.

What leaves: the exception, its stack (without local variables: their values may be a
party or a member), the request's method, URL path and harmless headers, and log lines as
breadcrumbs. What is taken out before an event leaves (`scrub`, also applied to every
breadcrumb):

- every value under a key that names personal data or a secret (family and given names,
  phones, a host's name, notes, passwords, tokens, keys, cookies, Authorization), at any
  depth: request bodies, headers, extra data, breadcrumbs' data;
- anything that looks like a phone number inside any other text (a request body Sentry
  kept as a string, an exception's message, a log line);
- the query string (it may carry a party's code) and cookies, whole.

Sentry's default of not sending personal data (send_default_pii off) keeps out the
user's address, name and cookies from the start.
"""

import json
import re
from typing import Any

import sentry_sdk
from sentry_sdk.integrations.celery import CeleryIntegration
from sentry_sdk.integrations.django import DjangoIntegration
from sentry_sdk.scrubber import DEFAULT_DENYLIST, EventScrubber
from sentry_sdk.types import Event, Hint

FILTERED = "[Filtered]"

# Keys whose values are personal data or secrets, compared lower case with "-" as "_".
PERSONAL_KEYS = frozenset(
    {
        "family_name",
        "given_name",
        "first_name",
        "last_name",
        "full_name",
        "host_name",
        "contact_phone",
        "coordinator_phone",
        "phone",
        "phone_number",
        "host_phone",
        "email",
        "notes",
        "note",
        "address",
        "username",
        "password",
        "new_password",
        "token",
        "secret",
        "api_key",
        "x_api_key",
        "authorization",
        "cookie",
        "set_cookie",
        "csrftoken",
        "sessionid",
        "x_csrftoken",
    }
)

# Seven digits or more, possibly with a leading + and spaces, dots, dashes or brackets
# between them: +7 701 234-56-78, 8(701)2345678, 77012345678.
PHONE = re.compile(r"(?<![\w.-])\+?\(?\d(?:[\s().-]{0,2}\d){6,}(?![\w])")


# What Sentry describes itself and the code with: neither holds data from a request.
KEPT = frozenset({"stacktrace", "sdk", "modules", "debug_meta", "threads", "contexts"})


def _personal(key: Any) -> bool:
    return isinstance(key, str) and key.lower().replace("-", "_") in PERSONAL_KEYS


def _text(value: str) -> str:
    # A body Sentry kept as a string: JSON is scrubbed by key like any dict.
    stripped = value.strip()
    if stripped[:1] in ("{", "[") and len(stripped) < 1_000_000:
        try:
            parsed = json.loads(stripped)
        except ValueError:
            pass
        else:
            return json.dumps(_walk(parsed), ensure_ascii=False)
    return PHONE.sub(FILTERED, value)


def _walk(value: Any) -> Any:
    if isinstance(value, dict):
        return {
            key: (
                item
                if key in KEPT
                else FILTERED
                if _personal(key) and item not in (None, "")
                else _walk(item)
            )
            for key, item in value.items()
        }
    if isinstance(value, list | tuple):
        # Headers may come as [name, value] pairs.
        if len(value) == 2 and _personal(value[0]) and isinstance(value[1], str):
            return [value[0], FILTERED]
        return [_walk(item) for item in value]
    if isinstance(value, str):
        return _text(value)
    return value


def scrub(event: Event, hint: Hint | None = None) -> Event:
    """`before_send`: the event without personal data (see the module's docstring)."""
    request = event.get("request")
    if isinstance(request, dict):
        request.pop("query_string", None)
        request.pop("cookies", None)
    # Local variables are off (sentry_init); should a frame carry some anyway, drop them.
    for exception in (event.get("exception") or {}).get("values") or []:
        for frame in (exception.get("stacktrace") or {}).get("frames") or []:
            frame.pop("vars", None)
    scrubbed: Event = _walk(event)
    return scrubbed


def scrub_breadcrumb(crumb: dict, hint: dict | None = None) -> dict:
    """`before_breadcrumb`: log lines and HTTP calls, scrubbed as events are."""
    return _walk(crumb)


def sentry_init(dsn: str, *, environment: str, traces_sample_rate: float = 0.0, **options) -> None:
    sentry_sdk.init(
        dsn=dsn,
        environment=environment,
        integrations=[DjangoIntegration(), CeleryIntegration()],
        # send_default_pii is left unset: False, Sentry's default (sentry-sdk 2.x deprecates
        # passing it; `data_collection`, its successor, would turn off event_scrubber).
        include_local_variables=False,
        max_request_body_size="small",
        event_scrubber=EventScrubber(denylist=[*DEFAULT_DENYLIST, *PERSONAL_KEYS], recursive=True),
        before_send=scrub,
        before_send_transaction=scrub,
        before_breadcrumb=scrub_breadcrumb,
        traces_sample_rate=traces_sample_rate,
        **options,
    )
