from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ArrivalsConfig(AppConfig):
    name = "arrivals"
    verbose_name = _("Arrivals")

    def ready(self) -> None:
        from shelters.signals import beds_added

        from .tasks import on_beds_added

        beds_added.connect(on_beds_added, dispatch_uid="arrivals.matching_on_beds_added")
