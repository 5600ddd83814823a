"""What every app's services share to write: `model_update`, the one way a service
changes the fields of a row it holds."""

from collections.abc import Iterable, Mapping
from typing import Any, TypeVar

from django.db import models

Model = TypeVar("Model", bound=models.Model)


def model_update(
    instance: Model,
    *,
    fields: Iterable[str],
    data: Mapping[str, Any],
    clean: bool = True,
) -> tuple[Model, bool]:
    """Set those of `fields` that `data` names and that differ, and save only them.

    Names in `data` outside `fields` are left alone (a service passes the fields it
    lets change). With `clean`, the model's validation (`full_clean`: field
    validators, constraints) runs before the save; a caller that checks the rules
    itself, in its own words, passes False. Fields that Django keeps (`auto_now`, such
    as `updated_at`) are saved too. Nothing is written when nothing changed.
    Returns (instance, whether anything changed).
    """
    changed = []
    for name in fields:
        if name in data and getattr(instance, name) != data[name]:
            setattr(instance, name, data[name])
            changed.append(name)
    if not changed:
        return instance, False
    if clean:
        instance.full_clean()
    changed += [
        field.name
        for field in instance._meta.concrete_fields
        if getattr(field, "auto_now", False) and field.name not in changed
    ]
    instance.save(update_fields=changed)
    return instance, True
