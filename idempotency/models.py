from django.db import models
from django.utils.translation import gettext_lazy as _

from privacy.fields import EncryptedTextField


class IdempotencyKey(models.Model):
    """The first answer to a request sent with an `Idempotency-Key` header.

    `owner` is the caller (a user or an API key), so one caller's keys are
    invisible to another; `scope` is the operation (e.g. `parties.create`).
    The stored answer may carry personal data (a registration's phone and names),
    so it is kept encrypted (JSON in an encrypted text), and the request's
    fingerprint is a keyed hash. Keys are purged after IDEMPOTENCY_KEY_TTL_HOURS.
    """

    owner = models.CharField(_("owner"), max_length=80)
    scope = models.CharField(_("scope"), max_length=80)
    key = models.CharField(_("key"), max_length=255)
    fingerprint = models.CharField(_("request fingerprint"), max_length=64)
    response_status = models.PositiveSmallIntegerField(_("response status"))
    response_body = EncryptedTextField(_("response body (JSON, encrypted)"))
    created_at = models.DateTimeField(_("created at"), db_index=True)

    class Meta:
        verbose_name = _("idempotency key")
        verbose_name_plural = _("idempotency keys")
        constraints = [
            models.UniqueConstraint(fields=["owner", "scope", "key"], name="idempotency_key_unique")
        ]

    def __str__(self) -> str:
        return f"{self.scope} {self.key}"
