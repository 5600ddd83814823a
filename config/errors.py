"""Answers for requests that cannot be served: too large (413), a database or broker
out of reach (503 with Retry-After), a server error (500), a form whose CSRF token
no longer holds (403), and the 400, 403 and 404 that Django answers before any view
(no route matches, a Host not allowed).

JSON under /api/ (`{"code", "detail"}`, as the API's other errors), a short page
elsewhere, in the language of the request (its cookie or Accept-Language). The 413, 503
and 500 pages are rendered without the request's context: they must not touch the
session or the user, which live in the database that may be the part that failed.
"""

import sys
from urllib.parse import urlencode, urlsplit

from django.http import HttpResponse, JsonResponse
from django.shortcuts import render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
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
    any other error a 500, as a short page in the request's language (or JSON under
    /api/), styled and without the request's context."""
    if is_unavailable(sys.exc_info()[1]):
        return unavailable(request)
    with translation.override(_language(request)):
        detail = _(
            "Something went wrong on the server, and what you sent may not have been saved. "
            "Try again in a moment; if it happens again, tell your coordinator."
        )
        response: HttpResponse
        if is_api(request):
            response = JsonResponse({"code": "server_error", "detail": detail}, status=500)
        else:
            response = _page(request, 500, _("Server error"), detail)
    response["Cache-Control"] = "no-store"
    return _sized(response)


def _own_path(request, url: str) -> str:
    """The path (and query) of `url` when it is a page of this site, else ""."""
    if not url or not url_has_allowed_host_and_scheme(
        url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return ""
    parts = urlsplit(url)
    path = parts.path or "/"
    return f"{path}?{parts.query}" if parts.query else path


def _from_this_site(request) -> bool:
    """The browser said the form was sent from one of this site's pages (Origin)."""
    origin = request.META.get("HTTP_ORIGIN", "")
    return origin == f"{request.scheme}://{request.get_host()}"


def csrf_failure(request, reason: str = ""):
    """CSRF_FAILURE_VIEW: a form sent with a token that no longer holds, because the
    session ended (the volunteer is logged out) or the volunteer logged in again, maybe
    in another tab (the token changed). Never Django's English page, never a lost form:

    - logged out: log in again, and come back to the page the form was on (`next`); the
      registration page keeps what was typed on the phone (its draft and outbox) and
      sends what waits once the volunteer is back;
    - logged in again: the page offers what was sent, as it was typed, to send again with
      the new token. Only for a form sent from this site's own pages (the Origin header,
      which the CSRF check has verified), so another site's forged form is never offered
      for sending; never the login form (no password is put back into a page).

    A JSON answer under /api/ (the API's own session check normally answers first)."""
    if is_api(request):
        return JsonResponse(
            {"code": "csrf_failed", "detail": _("Your session has expired. Log in again.")},
            status=403,
        )
    login = reverse("login")
    register = reverse("web-register")
    back = _own_path(request, request.META.get("HTTP_REFERER", ""))
    if back.startswith(login):
        back = ""  # the login page: where it leads to, or the start page
        nested = request.POST.get("next", "")
        if url_has_allowed_host_and_scheme(nested, allowed_hosts={request.get_host()}):
            back = nested
    back = back or "/"
    authenticated = request.user.is_authenticated
    fields = []
    if authenticated and _from_this_site(request) and request.path != login:
        fields = [
            (name, value)
            for name, values in request.POST.lists()
            if name != "csrfmiddlewaretoken"
            for value in values
        ]
    context = {
        "authenticated": authenticated,
        "back": back,
        "login_url": f"{login}?{urlencode({'next': back})}",
        "registering": urlsplit(back).path == register,
        "fields": fields,
        "action": request.get_full_path(),
    }
    response = render(request, "403_csrf.html", context, status=403)
    response["Cache-Control"] = "no-store"
    return response


def _api_error(request, status: int, detail) -> HttpResponse:
    """`{"detail"}` in the request's language (`detail` a lazy text)."""
    with translation.override(_language(request)):
        response = JsonResponse({"detail": str(detail)}, status=status)
    return _sized(response)


def page_not_found(request, exception=None):
    """handler404: under /api/ always JSON, also for paths no route matches (an id with
    a `.` or a `/`, a path without its trailing slash); elsewhere Django's page."""
    if is_api(request):
        return _api_error(request, 404, gettext_lazy("Not found."))
    return defaults.page_not_found(request, exception)


def bare_answer(request, response: HttpResponse) -> HttpResponse:
    """An error answer Django leaves without a body the reader could use, given one: a 405
    outside /api/ (the address of a button opened as a page: from a bookmark, the back
    button, an address typed) a short page saying so; with DEBUG on (`make run`), a 404
    under /api/ the API's JSON instead of Django's HTML page of routes."""
    if (
        response.status_code == 405
        and not is_api(request)
        and not response.streaming
        and not response.content
    ):
        with translation.override(_language(request)):
            page = _page(
                request,
                405,
                _("This address belongs to a button"),
                _(
                    "It does its work from the button on its page, not when opened on its "
                    "own. Go back to that page and use the button there."
                ),
            )
        page["Allow"] = response.get("Allow", "")
        return _sized(page)
    if (
        response.status_code == 404
        and is_api(request)
        and response.get("Content-Type", "").startswith("text/html")
    ):
        return page_not_found(request)
    return response


def bad_request(request, exception=None):
    """handler400 (a request Django refuses before any view, such as a Host header not
    allowed): JSON under /api/."""
    if is_api(request):
        return _api_error(request, 400, gettext_lazy("Bad request."))
    return defaults.bad_request(request, exception)


def permission_denied(request, exception=None):
    """handler403: JSON under /api/."""
    if is_api(request):
        return _api_error(
            request, 403, gettext_lazy("You do not have permission to perform this action.")
        )
    return defaults.permission_denied(request, exception)
