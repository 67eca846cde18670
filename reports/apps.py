from django.apps import AppConfig


class ReportsConfig(AppConfig):
    name = "reports"

    def ready(self):
        from reports import extensions  # noqa: F401 - the Customers report under Reports
