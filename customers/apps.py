from django.apps import AppConfig


class CustomersConfig(AppConfig):
    name = "customers"

    def ready(self):
        from customers import (
            extensions,  # noqa: F401 - the roster's own tabs, box, kinds of event and bulk actions
            lookups,  # noqa: F401 - registers the `prefix` lookup
        )
