from django.apps import AppConfig


class IntakeConfig(AppConfig):
    name = "intake"

    def ready(self):
        from intake import extensions  # noqa: F401 - the Form responses box and the Forms kind of event
