from django.apps import AppConfig


class TagsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "tags"

    def ready(self):
        from tags import extensions  # noqa: F401 - the Tags box, roster filter and export column
