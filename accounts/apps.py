from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = _("Accounts and roles")

    def ready(self) -> None:
        from . import (
            schema,  # noqa: F401 - registers the OpenAPI description of our auth
            signals,
        )

        signals.connect()  # a password change ends the person's tokens
