from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class WebhooksConfig(AppConfig):
    name = "webhooks"
    verbose_name = _("Webhooks")

    def ready(self) -> None:
        # The services send the delivery tasks by name: registered wherever Django runs
        # (in-process tasks, as in development and the tests, need them too).
        from . import tasks  # noqa: F401
