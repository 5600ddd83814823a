"""Encryption at rest and keyed hashes of personal data.

Keys come from the environment only. FIELD_ENCRYPTION_KEY is a comma-separated
list of Fernet keys: the first encrypts, every one decrypts, so a key is rotated
by putting a new key first and running `manage.py personal_data_rekey`.
"""

import hashlib
import hmac
from functools import cache

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured


@cache
def _fernet(keys: str) -> MultiFernet:
    parts = [key.strip() for key in keys.split(",") if key.strip()]
    if not parts:
        raise ImproperlyConfigured("FIELD_ENCRYPTION_KEY is not set.")
    try:
        return MultiFernet([Fernet(key) for key in parts])
    except ValueError as error:
        raise ImproperlyConfigured(
            "FIELD_ENCRYPTION_KEY must be Fernet keys (32 url-safe base64 bytes)."
        ) from error


def encrypt(value: str) -> str:
    return _fernet(settings.FIELD_ENCRYPTION_KEY).encrypt(value.encode()).decode()


def decrypt(token: str) -> str:
    try:
        return _fernet(settings.FIELD_ENCRYPTION_KEY).decrypt(token.encode()).decode()
    except InvalidToken as error:
        raise ImproperlyConfigured(
            "Encrypted personal data cannot be read with the FIELD_ENCRYPTION_KEY set."
        ) from error


def rekey(token: str) -> str:
    """Re-encrypt a token under the first (newest) key."""
    return _fernet(settings.FIELD_ENCRYPTION_KEY).rotate(token.encode()).decode()


def phone_digest(phone: str) -> str:
    """Keyed hash of a phone number's digits: equal phones match, the hash reveals none."""
    digits = "".join(ch for ch in phone if ch.isdigit())
    if not digits:
        return ""
    key = settings.LOOKUP_HASH_KEY.encode()
    return hmac.new(key, digits.encode(), hashlib.sha256).hexdigest()
