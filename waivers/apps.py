from django.apps import AppConfig


class WaiversConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "waivers"

    def ready(self):
        from waivers import extensions  # noqa: F401 - Settings → Waivers, the Waivers tab, the roster mark, the portal
