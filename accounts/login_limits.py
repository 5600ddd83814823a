"""Failed sign-ins, limited per account and per address, counted in the database.

django-axes counts failed passwords in the database (its database handler, extended
here: no cache involved, so the limit holds while Redis is down). Each attempt is counted
before its password is checked, and taken back if the password is right; an attempt is
refused, unchecked, while one of three counts is at its limit within
`LOGIN_LOCKOUT_MINUTES`:

- one account from one address (`LOGIN_FAILURES_ACCOUNT_ADDRESS`, 10): a guesser is
  stopped, and nobody else is held back by it;
- one account from any address (`LOGIN_FAILURES_ACCOUNT`, 30): guessing one account's
  password from many addresses;
- one address for any account (`LOGIN_FAILURES_ADDRESS`, 50): trying many accounts from
  one address. It is higher than the first, so a shared address (a registration point
  behind one router) where someone mistypes their password does not lock out the others.

A refused sign-in is not counted, so the lock ends `LOGIN_LOCKOUT_MINUTES` after the last
failure that counted, and the right password works again; a coordinator may end it at
once (`accounts.services.member_login_unlock`: the API's `POST /members/{id}/unlock/`, or
the back office's action). A successful sign-in forgets the failures of that account
from that address only: an attacker who owns an account cannot reset the address's count.

The token endpoint, the web login and the admin login all sign in through
`django.contrib.auth.authenticate`, where axes's backend sits first.
"""

import ipaddress
import logging
import math
from datetime import timedelta

from axes.handlers.database import AxesDatabaseHandler
from axes.helpers import get_client_username, get_cool_off, get_failure_limit
from axes.models import AccessAttempt
from axes.signals import user_locked_out
from django import forms
from django.conf import settings
from django.db import router, transaction
from django.db.models import Sum
from django.http import HttpResponse
from django.utils import timezone
from django.utils.translation import ngettext
from rest_framework.throttling import BaseThrottle

from config.error_summary import error_summary

logger = logging.getLogger(__name__)
# The groups of AXES_LOCKOUT_PARAMETERS, as the log names them.
GROUPS = ("one account from one address", "one account", "one address")


def attempt_username(request, credentials: dict | None = None) -> str | None:
    """The name an attempt counts under (axes's AXES_USERNAME_CALLABLE): as typed, in lower
    case, since sign-in takes any case (`accounts.backends`)."""
    field = getattr(settings, "AXES_USERNAME_FORM_FIELD", "username")  # set by axes.conf
    if credentials:
        value = credentials.get(field)
    else:
        value = getattr(request, "data", request.POST).get(field)
    return attempt_key(value) if isinstance(value, str) else value


def attempt_key(username: str) -> str:
    """A person's failed attempts are kept under this form of their username."""
    return username.lower()


def failure_limits() -> list[int]:
    """The limit of each group of `AXES_LOCKOUT_PARAMETERS`, in its order."""
    return [
        settings.LOGIN_FAILURES_ACCOUNT_ADDRESS,
        settings.LOGIN_FAILURES_ACCOUNT,
        settings.LOGIN_FAILURES_ADDRESS,
    ]


def client_address(request) -> str | None:
    """The client's address as the API's throttles see it (NUM_PROXIES of REST_FRAMEWORK:
    behind N proxies, the Nth address from the right of X-Forwarded-For), or None when it
    is no IP address (axes stores it in an address column)."""
    ident = BaseThrottle().get_ident(request)
    if not ident:
        return None
    try:
        return str(ipaddress.ip_address(ident.strip()))
    except ValueError:
        return None


class LoginLimitHandler(AxesDatabaseHandler):
    """Axes's database handler with a limit for each group of `AXES_LOCKOUT_PARAMETERS`
    (`failure_limits`), where axes has one for all."""

    def group_failures(self, request, credentials=None) -> list[int]:
        """Failures within the cool-off, for each group, in the order of the limits."""
        return [
            attempts.aggregate(total=Sum("failures_since_start"))["total"] or 0
            for attempts in self.get_user_attempts(request, credentials)
        ]

    def get_failures(self, request, credentials=None) -> int:
        """The failures of the group nearest its limit, on the scale of AXES_FAILURE_LIMIT.

        Axes locks out when this reaches `AXES_FAILURE_LIMIT`; scaled so (rounding down),
        that happens exactly when one group reaches its own limit.
        """
        scale = get_failure_limit(request, credentials)
        return max(
            failures * scale // limit
            for failures, limit in zip(
                self.group_failures(request, credentials), failure_limits(), strict=True
            )
        )

    def is_allowed(self, request, credentials=None) -> bool:
        """Count this attempt as a failure before its password is checked, and refuse it
        (counting nothing) if that puts a group over its limit.

        Axes checks the counts, then checks the password, then records a failure: guesses
        sent at the same moment would all pass the check. Here the attempt's row is
        locked and its count raised first, and the groups are summed inside the same
        transaction: the Nth of N parallel guesses sees N. A refused attempt's
        transaction is rolled back, so it neither counts nor moves the lockout's end. A
        right password takes the failure back (`user_logged_in`).
        """
        if self.is_blacklisted(request, credentials):
            return False
        if self.is_whitelisted(request, credentials):
            return True
        self.clean_expired_user_attempts(request, credentials)
        with transaction.atomic(using=router.db_for_write(AccessAttempt)):
            attempt, created = AccessAttempt.objects.select_for_update().get_or_create(
                username=get_client_username(request, credentials),
                ip_address=request.axes_ip_address,
                user_agent=request.axes_user_agent,
                defaults={
                    "get_data": "",
                    "post_data": "",
                    "http_accept": request.axes_http_accept,
                    "path_info": request.axes_path_info,
                    "failures_since_start": 1,
                    "attempt_time": request.axes_attempt_time,
                },
            )
            if not created:
                attempt.failures_since_start += 1
                attempt.attempt_time = request.axes_attempt_time
                attempt.path_info = request.axes_path_info
                attempt.save(update_fields=["failures_since_start", "attempt_time", "path_info"])
            counts = self.group_failures(request, credentials)
            allowed = all(
                count <= limit for count, limit in zip(counts, failure_limits(), strict=True)
            )
            if not allowed:
                transaction.set_rollback(True)
        if allowed:
            request.berth_failure_counts = counts
        return allowed

    def user_login_failed(self, sender, credentials: dict, request=None, **kwargs):
        """A wrong password whose failure `is_allowed` counted already: record nothing more,
        only lock out when its count filled a limit (the attempt answers 429 then)."""
        counts = getattr(request, "berth_failure_counts", None)
        if request is None or counts is None or getattr(request, "axes_locked_out", False):
            return super().user_login_failed(sender, credentials, request, **kwargs)
        request.berth_failure_counts = None
        full = [
            name
            for name, count, limit in zip(GROUPS, counts, failure_limits(), strict=True)
            if count >= limit
        ]
        if full:
            logger.warning(
                "sign-in limit reached: %s, at %s", ", ".join(full), request.axes_path_info
            )
            request.axes_locked_out = True
            request.axes_credentials = credentials
            user_locked_out.send(
                "axes",
                request=request,
                username=get_client_username(request, credentials),
                ip_address=request.axes_ip_address,
            )
        return None

    def user_logged_in(self, sender, request, user, **kwargs):
        """A right password forgets the failures of that account from that address only
        (this attempt's, counted before its password was checked, among them)."""
        super().user_logged_in(sender, request, user, **kwargs)
        AccessAttempt.objects.filter(
            username=attempt_key(user.get_username()), ip_address=request.axes_ip_address
        ).delete()

    def retry_after(self, request, credentials=None) -> int:
        """Seconds until no group is at its limit any longer (0 if none is).

        An attempt row counts until `cool-off` after its last failure: for each group at
        its limit, the rows drop out oldest first until the rest is under the limit.
        """
        cool_off = get_cool_off(request) or timedelta(0)
        now = timezone.now()
        wait = 0.0
        for attempts, limit in zip(
            self.get_user_attempts(request, credentials), failure_limits(), strict=True
        ):
            rows = list(
                attempts.order_by("attempt_time").values_list(
                    "attempt_time", "failures_since_start"
                )
            )
            remaining = sum(failures for _time, failures in rows)
            for attempt_time, failures in rows:
                if remaining < limit:
                    break
                remaining -= failures
                wait = max(wait, (attempt_time + cool_off - now).total_seconds())
        return max(0, math.ceil(wait))


def handler() -> LoginLimitHandler:
    from axes.handlers.proxy import AxesProxyHandler

    implementation = AxesProxyHandler.get_implementation()
    assert isinstance(implementation, LoginLimitHandler), settings.AXES_HANDLER
    return implementation


def retry_after(request, credentials=None) -> int:
    """Seconds until the sign-in `request` asked for is allowed again (at least 1)."""
    return max(1, handler().retry_after(request, credentials))


def lockout_message(seconds: int) -> str:
    minutes = max(1, math.ceil(seconds / 60))
    return ngettext(
        "Too many failed sign-ins for this account or from this address. Try again in "
        "%(minutes)d minute, or ask your coordinator to unlock your account.",
        "Too many failed sign-ins for this account or from this address. Try again in "
        "%(minutes)d minutes, or ask your coordinator to unlock your account.",
        minutes,
    ) % {"minutes": minutes}


def lockout_response(request, original_response=None, credentials=None) -> HttpResponse:
    """What a refused web or admin sign-in answers (AXES_LOCKOUT_CALLABLE, called by
    axes's middleware): the login page again, as 429 with Retry-After, its form's error
    saying why and when to try again (instead of "wrong password"); a plain 429 where
    the page is not a login form."""
    seconds = retry_after(request, credentials)
    message = lockout_message(seconds)
    context = getattr(original_response, "context_data", None) or {}
    form = context.get("form")
    if original_response is not None and isinstance(form, forms.BaseForm):
        form.errors.clear()  # "wrong password" would mislead: the password was not checked
        form.add_error(None, forms.ValidationError(message, code="locked_out"))
        context["error_summary"] = error_summary([(form, "")])
        original_response.content = original_response.rendered_content
        response = original_response
        response.status_code = 429
    else:
        response = HttpResponse(message, status=429, content_type="text/plain; charset=utf-8")
    response["Retry-After"] = str(seconds)
    return response
