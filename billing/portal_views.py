"""The customer portal's Payments page: what they paid, and what was paid for the people they look after."""

from django.contrib.auth.decorators import login_required

from billing.selectors import payments_seen_by
from portal.views import own_customer, render_portal


@login_required
def payments(request, org_slug):
    customer = own_customer(request)
    context = {"payments": payments_seen_by(customer)}
    return render_portal(request, customer, "payments", "billing/portal_payments.html", context)
