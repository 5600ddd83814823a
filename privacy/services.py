from collections.abc import Iterable

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
