from django.apps import AppConfig


class DemoConfig(AppConfig):
    """Holds only the `load_demo` command; no models."""

    name = "demo"
