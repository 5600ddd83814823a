"""Answers for requests that cannot be served: too large (413), or a database or broker
out of reach (503 with Retry-After, never a 500).

JSON under /api/ (`{"code", "detail"}`, as the API's other errors), a short page
elsewhere. The page is rendered without the request's context: it must not touch the
session or the user, which live in the database that may be the part that failed.
"""

import sys

from django.http import HttpResponse, JsonResponse
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.translation import gettext as _
from django.views import defaults

from config.outages import is_unavailable

RETRY_AFTER_SECONDS = 30


def is_api(request) -> bool:
    return request.path_info.startswith("/api/")


def _language(request) -> str:
    return translation.get_language_from_request(request)


def _page(request, status: int, title: str, message: str) -> HttpResponse:
    html = render_to_string(
        "plain_error.html",
        {"title": title, "message": message, "LANGUAGE_CODE": translation.get_language()},
    )
    return HttpResponse(html, status=status)


def _sized(response: HttpResponse) -> HttpResponse:
    # These answers may leave before CommonMiddleware, which would add the length.
    response["Content-Length"] = str(len(response.content))
    return response


def too_large(request, limit: int) -> HttpResponse:
    with translation.override(_language(request)):
        detail = _("The request is too large: at most %(limit)s bytes are accepted.") % {
            "limit": limit
        }
        response: HttpResponse
        if is_api(request):
            response = JsonResponse({"code": "request_too_large", "detail": detail}, status=413)
        else:
            response = _page(request, 413, _("Request too large"), detail)
    return _sized(response)


def unavailable_detail() -> str:
    return _("The service cannot reach its database or task queue just now. Try again shortly.")


def unavailable(request) -> HttpResponse:
    with translation.override(_language(request)):
        response: HttpResponse
        if is_api(request):
            response = JsonResponse(
                {"code": "service_unavailable", "detail": unavailable_detail()}, status=503
            )
        else:
            response = _page(request, 503, _("Temporarily unavailable"), unavailable_detail())
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    response["Cache-Control"] = "no-store"
    return _sized(response)


def server_error(request):
    """handler500: an error that escaped everything else. A service out of reach answers
    503 (also when it failed in a middleware, before any view: the session's database);
    any other error Django's 500."""
    if is_unavailable(sys.exc_info()[1]):
        return unavailable(request)
    return defaults.server_error(request)
