"""Domain errors that services raise, and how the API answers them.

Services raise `Conflict` (a state that forbids the change, answered 409 with a
`code`) or `PreconditionFailed` (a stale `If-Match`, answered 412); they never
raise HTTP exceptions themselves.
"""

import logging

from django.core.exceptions import ObjectDoesNotExist
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import DataError, IntegrityError, OperationalError
from django.db.models import ProtectedError, RestrictedError
from django.http import Http404
from django.utils.translation import gettext_lazy as _
from rest_framework import status
from rest_framework.exceptions import ErrorDetail, NotAuthenticated, NotFound, ValidationError
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from config import errors

logger = logging.getLogger(__name__)


class Conflict(Exception):
    status_code: int = status.HTTP_409_CONFLICT

    def __init__(self, code: str, detail: str) -> None:
        super().__init__(detail)
        self.code = code
        self.detail = detail


class PreconditionFailed(Exception):
    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.detail = detail


# PostgreSQL's answers to writers that collided: a deadlock (one of them is cancelled), a
# serialization failure, a lock not had in time. Nothing was written; the same request
# again will go through.
CONTENTION_SQLSTATES = frozenset({"40P01", "40001", "55P03"})


def is_contention(exc) -> bool:
    return isinstance(exc, OperationalError) and (
        getattr(exc.__cause__, "sqlstate", None) in CONTENTION_SQLSTATES
    )


def exception_handler(exc, context):
    if is_contention(exc):
        # Two writers at the same moment, not a database out of reach (503): a conflict
        # with the state, which the same request again resolves.
        logger.warning("concurrent writers, answered 409: %r", exc)
        return Response(
            {
                "code": "concurrent_change",
                "detail": str(_("Someone else changed this at the same moment; try again.")),
            },
            status=status.HTTP_409_CONFLICT,
        )
    if errors.is_unavailable(exc):
        # The database, the broker or the cache is out of reach: 503 and when to come
        # back (docs/api-reference.md, Errors), never a 500. The worker and the timer catch up.
        logger.error("service unavailable, answered 503: %r", exc, exc_info=exc)
        return Response(
            {"code": "service_unavailable", "detail": errors.unavailable_detail()},
            status=status.HTTP_503_SERVICE_UNAVAILABLE,
            headers={"Retry-After": str(errors.RETRY_AFTER_SECONDS), "Cache-Control": "no-store"},
        )
    if isinstance(exc, Conflict):
        return Response({"code": exc.code, "detail": str(exc.detail)}, status=exc.status_code)
    if isinstance(exc, PreconditionFailed):
        return Response(
            {"code": "precondition_failed", "detail": str(exc.detail)},
            status=status.HTTP_412_PRECONDITION_FAILED,
        )
    if isinstance(exc, DjangoValidationError):
        exc = ValidationError(
            exc.message_dict if hasattr(exc, "error_dict") else {"non_field_errors": exc.messages}
        )
    if isinstance(exc, ObjectDoesNotExist | Http404):
        # An object that went away between the view's lookup and the service's lock; or
        # one a view did not find (Django's "No Party matches the given query." is
        # neither translated nor the API's words).
        exc = NotFound()
    if isinstance(exc, ProtectedError | RestrictedError):
        # A delete that other records still point at (e.g. a shelter with meal services).
        return Response(
            {
                "code": "in_use",
                "detail": str(_("Other records refer to this; it cannot be deleted.")),
            },
            status=status.HTTP_409_CONFLICT,
        )
    if isinstance(exc, DataError):
        # A value the database cannot hold that validation let through (a bug): refuse
        # the request rather than answer 500.
        logger.error("data error answered 400: %s", exc)
        return Response(
            {"non_field_errors": [str(_("A value is too long or out of range."))]},
            status=status.HTTP_400_BAD_REQUEST,
        )
    if isinstance(exc, IntegrityError):
        # The database constraint is the last line of defence: a race that got past
        # the service checks ends here, as a conflict, never as a 500.
        logger.warning("integrity error answered 409: %s", exc)
        return Response(
            {"code": "conflict", "detail": str(_("The change conflicts with the current state."))},
            status=status.HTTP_409_CONFLICT,
        )
    request = context.get("request")
    if isinstance(exc, NotAuthenticated) and request and "HTTP_AUTHORIZATION" in request.META:
        # Credentials were sent, in a form this path does not read (`Bearer …`, or a key
        # where only a person's token is taken): "not provided" would be untrue.
        # (The same exception: DRF has set its status and WWW-Authenticate on it.)
        exc.detail = ErrorDetail(
            str(
                _(
                    "This Authorization header is not read here: send “Token <token>”, or "
                    "“Api-Key <key>” where API keys are taken."
                )
            ),
            code=exc.default_code,
        )
    return drf_exception_handler(exc, context)
