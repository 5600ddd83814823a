import hashlib
import hmac
import re

from django.utils.translation import gettext_lazy as _
from rest_framework import authentication, exceptions

from .models import ApiKey

PREFIX_LENGTH = 8
# What `secrets.token_urlsafe` gives; anything else (a NUL byte, spaces) is no key of
# ours and is refused before it reaches the database.
API_KEY_PATTERN = re.compile(r"[A-Za-z0-9_-]{16,128}")
TOKEN_PATTERN = re.compile(r"[0-9A-Za-z]{1,40}")


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


class TokenAuthentication(authentication.TokenAuthentication):
    """DRF's `Authorization: Token <token>`, refusing malformed tokens before the database.

    (A NUL byte in the header would otherwise reach PostgreSQL and answer 500.)
    """

    def authenticate_credentials(self, key):
        if not TOKEN_PATTERN.fullmatch(key):
            raise exceptions.AuthenticationFailed(_("Invalid token."))
        return super().authenticate_credentials(key)
