from django.apps import AppConfig


class NotesConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "notes"

    def ready(self):
        from notes import extensions  # noqa: F401 - the Notes tab, pinned notes, search, export and activity
