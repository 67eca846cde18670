from django.apps import AppConfig


class MetricsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "metrics"

    def ready(self):
        from metrics import extensions  # noqa: F401 - adds the Metrics tab and the roster's metric filter
