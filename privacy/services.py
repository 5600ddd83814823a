"""Writes of the privacy app: the audit trail and the re-encryption of stored values."""

from collections.abc import Iterable

from django.apps import apps
from django.db import models, transaction
from django.db.models.functions import Cast

from .crypto import rekey
from .fields import EncryptedTextField
from .models import AuditEntry


def audit_record(
    *, actor_id: int | None, actor: str, action: str, object_type: str, object_ids: Iterable
) -> None:
    """Append one entry per object to the audit trail (no personal values)."""
    AuditEntry.objects.bulk_create(
        AuditEntry(
            actor_id=actor_id,
            actor=actor,
            action=action,
            object_type=object_type,
            object_id=str(object_id),
        )
        for object_id in object_ids
    )


def encrypted_fields() -> list[tuple[type[models.Model], list[str]]]:
    """Every installed model with encrypted columns, and those columns' names."""
    found = []
    for model in apps.get_models():
        names = [
            field.attname
            for field in model._meta.local_concrete_fields
            if isinstance(field, EncryptedTextField)
        ]
        if names:
            found.append((model, names))
    return found


def _rekey_batch(model: type[models.Model], names: list[str], pks: list) -> int:
    """Re-encrypt one batch of rows; the caller's transaction holds their locks."""
    raw = {f"_raw_{name}": Cast(name, output_field=models.TextField()) for name in names}
    rewritten = 0
    rows = (
        model._base_manager.select_for_update()
        .filter(pk__in=pks)
        .order_by("pk")
        .annotate(**raw)
        .values("pk", *raw)
    )
    for row in rows:
        tokens = {
            # A plain-text Value: written as it is, not encrypted a second time.
            name: models.Value(rekey(row[f"_raw_{name}"]), output_field=models.TextField())
            for name in names
            if row[f"_raw_{name}"]
        }
        if tokens:
            model._base_manager.filter(pk=row["pk"]).update(**tokens)
            rewritten += len(tokens)
    return rewritten


def personal_data_rekey(*, batch_size: int = 500) -> int:
    """Re-encrypt every encrypted value under the first key of FIELD_ENCRYPTION_KEY.

    Tokens are rotated as they are (never decrypted into a Python string that
    could be logged); rows are locked batch by batch, in primary-key order, so a
    write racing the rotation is neither lost nor left under the old key. Safe to
    run again. Raises ImproperlyConfigured where a value cannot be read with any
    listed key. Returns the number of values rewritten.
    """
    rewritten = 0
    for model, names in encrypted_fields():
        last_pk = None
        while True:
            with transaction.atomic():
                pending = model._base_manager.order_by("pk")
                if last_pk is not None:
                    pending = pending.filter(pk__gt=last_pk)
                pks = list(pending.values_list("pk", flat=True)[:batch_size])
                if not pks:
                    break
                rewritten += _rekey_batch(model, names, pks)
                last_pk = pks[-1]
    return rewritten
