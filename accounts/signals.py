"""A changed password ends every token of its person, whichever way it changed: the API,
the back office's password form, `manage.py changepassword`, `set_password` then `save`
in code, or a password hash written by hand. (Sessions end by themselves: Django checks
each session against the password's hash.)

The stored hash is compared before the save, unless the save names fields without
`password` (a sign-in's `last_login`). Django rehashing a password with a stronger
hasher as someone signs in (`check_password`) changes the hash but not the password:
it saves only `password`, with no new password pending (`_password`), and ends nothing.
"""

from django.contrib.auth import get_user_model
from django.db.models.signals import post_save, pre_save

from . import services


def _password_changed(sender, instance, update_fields=None, **kwargs) -> None:
    instance._berth_password_changed = False
    if instance.pk is None or (update_fields is not None and "password" not in update_fields):
        return
    rehash = (
        update_fields is not None
        and set(update_fields) == {"password"}
        and getattr(instance, "_password", None) is None
    )
    if rehash:
        return
    stored = sender._default_manager.filter(pk=instance.pk).values_list("password", flat=True)
    old = stored.first()
    instance._berth_password_changed = old is not None and old != instance.password


def _end_tokens(sender, instance, created=False, **kwargs) -> None:
    if not created and getattr(instance, "_berth_password_changed", False):
        instance._berth_password_changed = False
        services.auth_tokens_end_all(user=instance)


def connect() -> None:
    user_model = get_user_model()
    pre_save.connect(_password_changed, sender=user_model, dispatch_uid="berth-password-changed")
    post_save.connect(_end_tokens, sender=user_model, dispatch_uid="berth-password-end-tokens")
