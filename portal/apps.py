from django.apps import AppConfig


class PortalConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "portal"

    def ready(self):
        from customers.tabs import PROFILE_BOXES, ProfileBox
        from portal.staff_views import account_box

        PROFILE_BOXES.insert(0, ProfileBox("portal/account_box.html", account_box))
