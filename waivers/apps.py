from django.apps import AppConfig


class WaiversConfig(AppConfig):
    name = "waivers"
