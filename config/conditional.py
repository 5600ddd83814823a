"""ETag and If-Match on versioned objects (optimistic concurrency). (No cache keeps an
API answer: `config.middleware.ApiNoStoreMiddleware`.)

An answer carries `ETag: "<version>"`; a PATCH may send it back as `If-Match`. The
service compares versions under the row lock, so two writers holding the same
version cannot both win.
"""

import re
from typing import TYPE_CHECKING

from django.utils.translation import gettext as _

from config.exceptions import PreconditionFailed

if TYPE_CHECKING:
    from rest_framework.views import APIView

    _View = APIView  # what the mixin is mixed into
else:
    _View = object

_ETAG = re.compile(r'(?:W/)?(?:"(?P<quoted>[0-9]{1,18})"|(?P<bare>[0-9]{1,18}))')


def etag_for(version: int) -> str:
    return f'"{version}"'


def expected_version(request) -> frozenset[int] | None:
    """The versions If-Match names, any of which may be current (RFC 9110: a list of
    entity tags); None when absent or `*` (take the write)."""
    header = request.headers.get("If-Match")
    if header is None:
        return None
    value = header.strip()
    if value == "*":
        return None
    # `"3"` (or weak `W/"3"`) as sent in ETag, or several, separated by commas; a bare 3
    # is forgiven, a half-quoted one not. Empty elements of the list are skipped (RFC 9110
    # section 5.6.1).
    elements = [element.strip() for element in value.split(",") if element.strip()]
    matches = [match for match in map(_ETAG.fullmatch, elements) if match is not None]
    if not elements or len(matches) != len(elements):
        raise PreconditionFailed(_('If-Match must be an ETag this server gave, like "3".'))
    return frozenset(int(match["quoted"] or match["bare"]) for match in matches)


class ETagMixin(_View):
    """For viewsets of versioned objects: send the ETag on single-object answers."""

    def finalize_response(self, request, response, *args, **kwargs):
        response = super().finalize_response(request, response, *args, **kwargs)
        data = getattr(response, "data", None)
        if (
            getattr(self, "action", None) in {"retrieve", "create", "partial_update", "update"}
            and isinstance(data, dict)
            and "version" in data
        ):
            response["ETag"] = etag_for(data["version"])
        return response
