from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SpreadsheetsConfig(AppConfig):
    name = "spreadsheets"
    verbose_name = _("Spreadsheets")

    def ready(self) -> None:
        # The services send the import task by name: registered wherever Django runs.
        from . import tasks  # noqa: F401
