from django.apps import AppConfig


class DemoConfig(AppConfig):
    """The demo organizations: above every app, so it may load each app's demo data (`make demo`)."""

    name = "demo"
