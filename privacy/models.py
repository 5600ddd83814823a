from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class AuditAction(models.TextChoices):
    READ = "read", _("Read")
    CREATE = "create", _("Create")
    UPDATE = "update", _("Update")
    ERASE = "erase", _("Erase")


APPEND_ONLY = "The audit trail is append-only."


class AuditQuerySet(models.QuerySet):
    """Refuses the bulk writes that bypass the model's save() and delete()."""

    def update(self, **kwargs):
        raise PermissionError(APPEND_ONLY)

    def delete(self):
        raise PermissionError(APPEND_ONLY)

    def bulk_update(self, objs, fields, batch_size=None):
        raise PermissionError(APPEND_ONLY)

    # Flags Django reads on a method (templates do not call it; the manager does not copy
    # it), set as Django sets its own: mypy does not type attributes of functions.
    update.alters_data = True  # type: ignore[attr-defined]
    delete.alters_data = True  # type: ignore[attr-defined]
    delete.queryset_only = True  # type: ignore[attr-defined]  # as Django's: not on the manager
    bulk_update.alters_data = True  # type: ignore[attr-defined]


class AuditEntry(models.Model):
    """Who read or changed personal data, and when. Holds no personal value itself.

    Append-only: the model refuses updates and deletes, and on PostgreSQL a
    trigger refuses them too (migration 0002).
    """

    at = models.DateTimeField(_("at"), default=timezone.now, db_index=True)
    actor_id = models.BigIntegerField(_("actor id"), null=True, blank=True)
    actor = models.CharField(_("actor"), max_length=150)
    action = models.CharField(_("action"), max_length=10, choices=AuditAction.choices)
    object_type = models.CharField(_("object type"), max_length=40)
    object_id = models.CharField(_("object id"), max_length=64)

    objects = AuditQuerySet.as_manager()

    class Meta:
        ordering = ["-at", "-id"]
        # In Meta rather than db_index=True on the field: no second, `LIKE` index to
        # write with each entry (nothing searches object ids by prefix).
        indexes = [models.Index(fields=["object_id"], name="audit_object_id")]
        verbose_name = _("audit entry")
        verbose_name_plural = _("audit trail")

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.actor} {self.action} {self.object_type}"

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise PermissionError(APPEND_ONLY)
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise PermissionError(APPEND_ONLY)
