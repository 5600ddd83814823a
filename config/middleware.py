"""Middleware of the whole site: request ids, the limit on request bodies, and a body for
the error answers Django leaves bare, and a word on the login page for a form sent after
the session ended."""

import io
from urllib.parse import urlencode, urlsplit

import django.middleware.common
from django.conf import settings
from django.contrib import messages
from django.core.handlers.wsgi import LimitedStream
from django.shortcuts import resolve_url
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _

from config import errors
from config.logs import request_id, sane_request_id

HEADER = "X-Request-ID"


class RequestIdMiddleware:
    """Gives each request an id: a sane `X-Request-ID` from the proxy or client, else a
    new one. Every log record of the request carries it (config.logs), so do the tasks
    it enqueues (config.celery), and the answer sends it back in `X-Request-ID`."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        ident = sane_request_id(request.headers.get(HEADER))
        request.request_id = ident
        token = request_id.set(ident)
        try:
            response = self.get_response(request)
        finally:
            request_id.reset(token)
        response[HEADER] = ident
        return response


def _read_at_most(stream, limit: int) -> bytes:
    """Up to limit + 1 bytes of `stream`: enough to know whether it is over the limit."""
    chunks, size = [], 0
    while size <= limit:
        chunk = stream.read(min(64 * 1024, limit + 1 - size))
        if not chunk:
            break
        chunks.append(chunk)
        size += len(chunk)
    return b"".join(chunks)


class BodyLimitMiddleware:
    """Bodies over `BERTH_MAX_BODY_BYTES` answer 413 before anything reads them.

    DRF's parsers read the stream themselves, so Django's DATA_UPLOAD_MAX_MEMORY_SIZE
    never applies to the API: without this, a 100 MB JSON body was read and parsed
    whole. A declared Content-Length over the limit is refused unread. A chunked body
    (no Content-Length) is read up to one byte past the limit: refused if longer, else
    handed on with its length, so Django and DRF read it like any other (Django alone
    would read a chunked body as empty).
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        limit = settings.BERTH_MAX_BODY_BYTES
        if request.path_info.startswith(settings.BERTH_UPLOAD_PATHS):
            limit = max(limit, settings.BERTH_MAX_UPLOAD_BYTES)  # spreadsheet uploads
        declared = request.META.get("CONTENT_LENGTH")
        if declared:
            try:
                length = int(declared)
            except ValueError:
                length = 0  # as Django reads it: no body
            if length > limit:
                return errors.too_large(request, limit)
        elif "chunked" in request.META.get("HTTP_TRANSFER_ENCODING", "").lower():
            body = _read_at_most(request.environ["wsgi.input"], limit)
            if len(body) > limit:
                return errors.too_large(request, limit)
            request.META["CONTENT_LENGTH"] = str(len(body))
            request._stream = LimitedStream(io.BytesIO(body), len(body))
        return self.get_response(request)


class BareAnswersMiddleware:
    """`config.errors.bare_answer` on every answer: a page for a 405 outside /api/, JSON
    for a 404 under /api/ also with DEBUG on."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return errors.bare_answer(request, self.get_response(request))


class ApiNoStoreMiddleware:
    """Every answer under /api/ carries `Cache-Control: no-store` unless its view set its
    own: each is for one signed-in caller, and most carry personal data (names, phones,
    reasons typed about a person) or a secret shown once (a token, a key)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if errors.is_api(request) and not response.has_header("Cache-Control"):
            response["Cache-Control"] = "no-store"
        return response


class CommonMiddleware(django.middleware.common.CommonMiddleware):
    """Django's, but a path under /api/ without its trailing slash is not redirected: a
    redirect answers HTML and turns a POST into a GET. It answers the API's JSON 404
    (config.errors.page_not_found) instead; every path of the API ends with a slash."""

    def should_redirect_with_slash(self, request):
        if errors.is_api(request):
            return False
        return super().should_redirect_with_slash(request)


class SessionEndedMiddleware:
    """A page's form sent after its sender's session ended (expired, signed out on another
    phone, access removed) is turned away to the login page by `login_required`, and the
    POST with what was typed is gone. The login page then says so, and returns to the page
    the form was on (the form's own address may take only POST), so that the person knows
    to send it again instead of believing it saved. After MessageMiddleware."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if request.method != "POST" or response.status_code != 302:
            return response  # every other answer: nothing more is read
        login = resolve_url(settings.LOGIN_URL)
        if (
            request.user.is_authenticated
            or request.path == reverse("logout")
            or urlsplit(response.get("Location", "")).path != login
        ):
            return response
        messages.warning(
            request,
            _(
                "Your session had ended, so what you sent was not saved. Log in, then send it "
                "again."
            ),
        )
        back = request.META.get("HTTP_REFERER", "")
        if url_has_allowed_host_and_scheme(
            back, allowed_hosts={request.get_host()}, require_https=request.is_secure()
        ):
            page = urlsplit(back)
            target = page.path + (f"?{page.query}" if page.query else "")
            response["Location"] = f"{login}?{urlencode({'next': target})}"
        return response
