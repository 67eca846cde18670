from django.apps import AppConfig


class BookingsConfig(AppConfig):
    name = "bookings"

    def ready(self):
        from bookings import extensions  # noqa: F401 - the Bookings tab, calendar, settings pages, portal section
