from django.apps import AppConfig


class PortalConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "portal"

    def ready(self):
        from customers.models import BulkOperation
        from customers.services import BULK_ACTIONS
        from customers.tabs import PROFILE_BOXES, ProfileBox
        from portal.services import invites_send
        from portal.staff_views import account_box

        PROFILE_BOXES.insert(0, ProfileBox("portal/account_box.html", account_box))
        BULK_ACTIONS[BulkOperation.Action.INVITE] = lambda *, customer_ids, by, params: invites_send(
            customer_ids=customer_ids, by=by
        )[0]
