from django.db import models

from .crypto import decrypt, encrypt


class EncryptedTextField(models.TextField):
    """Text stored as a Fernet token: a raw SELECT shows no plaintext.

    It cannot be searched or compared in SQL; keep a keyed hash beside it where
    equality is needed (see `privacy.crypto.phone_digest`). An empty string is
    stored as it is (there is nothing to hide), and read back as empty.
    """

    def from_db_value(self, value, expression, connection):
        if value is None or value == "":
            return value
        return decrypt(value)

    def get_prep_value(self, value):
        value = super().get_prep_value(value)
        if value is None or value == "":
            return value
        return encrypt(value)
