"""Encryption at rest and keyed hashes of personal data.

Keys come from the environment only. FIELD_ENCRYPTION_KEY is a comma-separated
list of Fernet keys: the first encrypts, every one decrypts, so a key is rotated
by putting a new key first and running `manage.py personal_data_rekey` (which
re-encrypts every stored value under the new key); the old key can then be
dropped from the list.
"""

import hashlib
import hmac
import unicodedata
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


def _unreadable() -> ImproperlyConfigured:
    return ImproperlyConfigured(
        "Encrypted personal data cannot be read with the FIELD_ENCRYPTION_KEY set."
    )


def encrypt(value: str) -> str:
    return _fernet(settings.FIELD_ENCRYPTION_KEY).encrypt(value.encode()).decode()


def decrypt(token: str) -> str:
    try:
        return _fernet(settings.FIELD_ENCRYPTION_KEY).decrypt(token.encode()).decode()
    except InvalidToken as error:
        raise _unreadable() from error


def rekey(token: str) -> str:
    """Re-encrypt a token under the first (newest) key; any listed key may read it."""
    try:
        return _fernet(settings.FIELD_ENCRYPTION_KEY).rotate(token.encode()).decode()
    except InvalidToken as error:
        raise _unreadable() from error


def keyed_digest(value: str) -> str:
    """HMAC-SHA256 of `value` under LOOKUP_HASH_KEY: equal values give equal digests,
    and a digest reveals nothing without the key (not even a guessable phone)."""
    key = settings.LOOKUP_HASH_KEY.encode()
    return hmac.new(key, value.encode(), hashlib.sha256).hexdigest()


def phone_normalize(phone: str) -> str:
    """The digits of a phone number, nothing else: `+7 701 123-45-67` -> `77011234567`.

    Deliberately no country rules: the national form `8 701 123 45 67` stays
    `87011234567` and does NOT equal `+7 701 ...`. Guessing trunk prefixes is
    country-specific and a wrong guess would link strangers; a missed duplicate
    only costs a volunteer a question. A coordinator's search tries both forms
    (`phone_forms`): they look at what it finds.
    """
    return "".join(ch for ch in phone if "0" <= ch <= "9")


def phone_forms(phone: str) -> list[str]:
    """The digits of `phone` as typed, and in its other form for a search: with the
    trunk prefix (`settings.PHONE_TRUNK_PREFIX`, "8") for the country code
    (`PHONE_COUNTRY_CODE`, "7") or the other way round, where the number starts with one
    of them. `8 701 123 45 67` -> ["87011234567", "77011234567"]."""
    digits = phone_normalize(phone)
    trunk, country = settings.PHONE_TRUNK_PREFIX, settings.PHONE_COUNTRY_CODE
    forms = [digits] if digits else []
    if trunk and country and len(digits) > 7:
        if digits.startswith(trunk):
            forms.append(country + digits[len(trunk) :])
        elif digits.startswith(country):
            forms.append(trunk + digits[len(country) :])
    return forms


def phone_digest(phone: str) -> str:
    """Keyed hash of a phone number's digits: equal phones match, the hash reveals none."""
    digits = phone_normalize(phone)
    if not digits:
        return ""
    return keyed_digest(digits)


def name_normalize(name: str) -> str:
    """A name as it is compared: Unicode-normalized (NFKC), case-folded, its spaces
    collapsed, so `  NURLANOVA ` and `Nurlanova` are the same name."""
    return " ".join(unicodedata.normalize("NFKC", name).casefold().split())


def name_digest(name: str) -> str:
    """Keyed hash of a normalized name (exact matches only: a hash has no prefix or
    substring). Its own domain: never equal to a phone's digest."""
    normalized = name_normalize(name)
    if not normalized:
        return ""
    return keyed_digest(f"name:{normalized}")
