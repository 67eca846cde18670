"""Staff side of the portal: viewing it as a customer sees it."""

from django.shortcuts import render

from accounts.permissions import org_permission
from customers.fields import customer_fields
from customers.forms import CustomerForm
from customers.models import Audience
from customers.rules import Channel, channel_rules
from customers.selectors import get_customer_for_org
from portal import services
from portal.navigation import portal_sections


@org_permission("customers.view")
def view_as(request, org_slug, pk):
    """The customer's portal page, read-only, for staff helping them on the phone. Logged."""
    customer = get_customer_for_org(pk)
    services.portal_view_record(customer=customer, by=request.user)
    # The customer's fields, less those the staff member's own role may not see.
    visible = {field.name for field in customer_fields(request.membership.role)}
    rules = {name: rule for name, rule in channel_rules(Channel.ONLINE_BOOKING).items() if name in visible}
    form = CustomerForm(
        instance=customer, channel=Channel.ONLINE_BOOKING, audience=Audience.CUSTOMER, rules=rules
    )
    context = {
        "customer": customer,
        "form": form,
        "section": "profile",
        "sections": portal_sections(),
        "read_only": True,
    }
    return render(request, "portal/account.html", context)
