from django.apps import AppConfig


class CustomersConfig(AppConfig):
    name = "customers"

    def ready(self):
        from customers import lookups  # noqa: F401 - registers the `prefix` lookup
        from customers.intake_views import form_responses_box
        from customers.tabs import PROFILE_BOXES, ProfileBox

        PROFILE_BOXES.append(ProfileBox("customers/form_responses_box.html", form_responses_box, place="top"))
