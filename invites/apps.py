from django.apps import AppConfig


class InvitesConfig(AppConfig):
    name = "invites"

    def ready(self):
        from invites import extensions  # noqa: F401 - the Online account box, roster filter, bulk invite, settings
