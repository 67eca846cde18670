from django.apps import AppConfig


class BillingConfig(AppConfig):
    name = "billing"

    def ready(self):
        from billing import extensions  # noqa: F401 - its Settings tab, menu entries and audit actions
