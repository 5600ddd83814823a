from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ArrivalsConfig(AppConfig):
    name = "arrivals"
    verbose_name = _("Arrivals")

    def ready(self) -> None:
        from shelters.signals import room_available

        from .tasks import on_room_available

        room_available.connect(on_room_available, dispatch_uid="arrivals.matching_on_room")
