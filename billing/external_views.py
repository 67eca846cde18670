"""External subscriptions on the profile: the side box (billing/extensions.py) lists them; staff who edit
customers record one or change it on its own page. Nothing here charges anyone."""

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render

from accounts.permissions import org_permission
from billing import external_services
from billing.external_selectors import external_subscription_of, external_subscriptions_of
from billing.forms import ExternalSubscriptionForm
from billing.models import ExternalSubscription
from customers.models import Customer
from customers.selectors import get_customer_for_org


def external_box(request, customer: Customer) -> dict:
    """The profile's External subscriptions box: each the customer has, the latest start first."""
    return {"customer": customer, "subscriptions": list(external_subscriptions_of(customer))}


def _form_page(request, customer: Customer, subscription: ExternalSubscription):
    currency = request.org.currency
    form = ExternalSubscriptionForm(request.POST or None, instance=subscription, currency=currency)
    if form.is_valid():
        saved = external_services.external_subscription_save(
            subscription=form.save(commit=False), by=request.user
        )
        messages.success(request, f"“{saved.name}” ({saved.provider}) saved for {customer.full_name}.")
        return redirect("customers:profile", org_slug=request.org.slug, pk=customer.pk)
    context = {"customer": customer, "subscription": subscription, "form": form}
    status = 422 if request.method == "POST" else 200
    return render(request, "billing/external_form.html", context, status=status)


@org_permission("customers.change")
def external_add(request, org_slug, pk):
    customer = get_customer_for_org(pk)
    return _form_page(request, customer, ExternalSubscription(customer=customer))


@org_permission("customers.change")
def external_edit(request, org_slug, pk, external_pk):
    customer = get_customer_for_org(pk)
    subscription = external_subscription_of(customer, external_pk)
    if subscription is None:
        raise Http404("No such external subscription.")
    return _form_page(request, customer, subscription)
