import functools
import hashlib
import hmac
import re

from django.contrib.auth import get_user_model
from django.db import connection
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from knox import auth as knox_auth
from knox.crypto import hash_token
from knox.models import AuthToken
from knox.settings import knox_settings
from rest_framework import authentication, exceptions

from config.postgresql.base import prepared_cursor

from .access import membership_access, membership_columns
from .models import ApiKey, Membership

PREFIX_LENGTH = 8
# What `secrets.token_urlsafe` gives; anything else (a NUL byte, spaces) is no key of
# ours and is refused before it reaches the database.
API_KEY_PATTERN = re.compile(r"[A-Za-z0-9_-]{16,128}")
# knox's tokens: AUTH_TOKEN_CHARACTER_LENGTH (64) hex digits, with no TOKEN_PREFIX.
TOKEN_PATTERN = re.compile(r"[0-9a-f]{64}")


def api_key_digest(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


class ApiKeyAuthentication(authentication.BaseAuthentication):
    """`Authorization: Api-Key <key>` for integrations. request.auth is the ApiKey."""

    keyword = "Api-Key"

    def authenticate(self, request):
        header = authentication.get_authorization_header(request).split()
        if not header or header[0].lower() != self.keyword.lower().encode():
            return None
        if len(header) != 2:
            raise exceptions.AuthenticationFailed(_("Invalid API key header."))
        try:
            key = header[1].decode()
        except UnicodeError as error:
            raise exceptions.AuthenticationFailed(_("Invalid API key.")) from error
        if not API_KEY_PATTERN.fullmatch(key):
            raise exceptions.AuthenticationFailed(_("Invalid API key."))
        api_key = (
            ApiKey.objects.select_related("created_by")
            .filter(prefix=key[:PREFIX_LENGTH], revoked_at__isnull=True)
            .first()
        )
        if (
            api_key is None
            or not hmac.compare_digest(api_key.digest, api_key_digest(key))
            or not api_key.created_by.is_active
        ):
            raise exceptions.AuthenticationFailed(_("Invalid API key."))
        return api_key.created_by, api_key

    def authenticate_header(self, request):
        # Answering 401 (not 403) needs a WWW-Authenticate challenge.
        return 'Token realm="api"'


@functools.cache
def _token_lookup() -> tuple[str, list[str], list[str]]:
    """The statement reading a token by digest with its person and their membership
    (`membership_columns`), and the attribute names of its columns, the token's then the
    person's (all from the models, made once)."""
    user = get_user_model()
    token_fields, user_fields = AuthToken._meta.concrete_fields, user._meta.concrete_fields
    columns = [f"t.{f.column}" for f in token_fields] + [f"u.{f.column}" for f in user_fields]
    sql = (
        f"SELECT {', '.join(columns)}, {membership_columns()} "  # noqa: S608
        f"FROM {AuthToken._meta.db_table} t JOIN {user._meta.db_table} u ON u.id = t.user_id "
        f"LEFT JOIN {Membership._meta.db_table} m ON m.user_id = u.id WHERE t.digest = %s"
    )
    return sql, [f.attname for f in token_fields], [f.attname for f in user_fields]


def token_with_user(digest: str) -> AuthToken | None:
    """The token of this digest with its person loaded, or None. On PostgreSQL one
    statement written out, the rows made into models as the ORM does (`from_db`), which
    reads the person's access too (`user.access_loaded`, read by
    `accounts.access.access_for_user`): it is on the way of every request, and compiling
    the ORM's query cost more than running it. Elsewhere (SQLite, whose driver gives
    times as text) the ORM's query."""
    if connection.vendor != "postgresql":
        return AuthToken.objects.select_related("user").filter(digest=digest).first()
    sql, token_names, user_names = _token_lookup()
    with prepared_cursor() as cursor:
        cursor.execute(sql, [digest])
        row = cursor.fetchone()
    if row is None:
        return None
    token_end = len(token_names)
    user_end = token_end + len(user_names)
    token = AuthToken.from_db(connection.alias, token_names, row[:token_end])
    token.user = get_user_model().from_db(connection.alias, user_names, row[token_end:user_end])
    token.user.access_loaded = membership_access(token.user, row[user_end:])
    return token


class TokenAuthentication(knox_auth.TokenAuthentication):
    """`Authorization: Token <token>` for people, with django-rest-knox's tokens: only
    a SHA-512 digest of each token is stored (`knox.AuthToken`, made by
    `accounts.services.auth_token_issue`), and a token ends after `BERTH_TOKEN_IDLE_HOURS`
    without use, at a password change (`accounts.signals`) or at logout.

    One query per request: the token is found by its digest (the table's primary key)
    with its person. Each use moves the token's end on (knox's AUTO_REFRESH), written at
    most once a minute (`MIN_REFRESH_INTERVAL`). Knox's own lookup reads every token of
    the person on each request to delete the expired ones; here an expired token is
    deleted when it is shown, and the others at the person's next sign-in.
    """

    def authenticate_credentials(self, token):
        message = _("Invalid token.")
        try:
            token = token.decode()
        except UnicodeError as error:
            raise exceptions.AuthenticationFailed(message) from error
        # Anything but knox's hex is no token of ours: refused before the database (a NUL
        # byte would otherwise reach PostgreSQL), as are the plaintext tokens of before.
        if not TOKEN_PATTERN.fullmatch(token):
            raise exceptions.AuthenticationFailed(message)
        auth_token = token_with_user(hash_token(token))
        if auth_token is None:
            raise exceptions.AuthenticationFailed(message)
        if auth_token.expiry is not None and auth_token.expiry <= timezone.now():
            auth_token.delete()
            raise exceptions.AuthenticationFailed(_("Token expired. Sign in again."))
        if knox_settings.AUTO_REFRESH and auth_token.expiry is not None:
            self.renew_token(auth_token)
        return self.validate_user(auth_token)

    def validate_user(self, auth_token):
        if not auth_token.user.is_active:
            raise exceptions.AuthenticationFailed(
                _("This account is switched off. Ask the coordinator of your city.")
            )
        return auth_token.user, auth_token
