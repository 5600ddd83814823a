from django.db import models

from .crypto import decrypt, encrypt


class EncryptedTextField(models.TextField):
    """Text stored as a Fernet token: a raw SELECT shows no plaintext.

    It cannot be searched or compared in SQL; keep a keyed hash beside it where
    equality is needed (see `privacy.crypto.phone_digest`).
    """

    def from_db_value(self, value, expression, connection):
        return None if value is None else decrypt(value)

    def get_prep_value(self, value):
        value = super().get_prep_value(value)
        if value is None or value == "":
            return value
        return encrypt(value)
