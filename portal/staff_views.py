"""Staff side of customer accounts: invitations on the profile, the invitation email settings, and viewing
the portal as a customer sees it."""

from datetime import timedelta

from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from accounts.permissions import org_permission
from customers.fields import customer_fields
from customers.forms import CustomerForm
from customers.models import Audience
from customers.rules import Channel, channel_rules
from customers.selectors import get_customer_for_org
from portal import selectors, services
from portal.forms import InviteSettingsForm
from portal.models import ClaimInvite
from portal.navigation import portal_sections
from portal.selectors import claim_status
from portal.wording import fill


def account_box(request, customer) -> dict:
    """The profile's Online account box: claim status and what staff can do about it."""
    invite = ClaimInvite.objects.filter(customer=customer).first()
    return {"customer": customer, "invite": invite, "status": claim_status(customer, invite)}


@require_POST
@org_permission("customers.change")
def invite(request, org_slug, pk):
    customer = get_customer_for_org(pk)
    try:
        services.invite_send(customer=customer, by=request.user)
    except services.InviteError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, f"An invitation to claim their account is on its way to {customer.email}.")
    return redirect("customers:profile", org_slug=org_slug, pk=pk)


@require_POST
@org_permission("customers.change")
def invite_revoke(request, org_slug, pk):
    customer = get_customer_for_org(pk)
    invite = get_object_or_404(ClaimInvite, customer=customer)
    services.invite_revoke(invite=invite, by=request.user)
    messages.success(request, "Invitation revoked: its link no longer works.")
    return redirect("customers:profile", org_slug=org_slug, pk=pk)


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


@org_permission("settings.change")
def invite_settings(request, org_slug):
    settings = selectors.invite_settings()
    form = InviteSettingsForm(request.POST or None, instance=settings)
    if form.is_valid():
        services.invite_settings_save(settings=form.save(commit=False), by=request.user)
        messages.success(request, "Invitation settings saved.")
        return redirect("invite_settings:invites", org_slug=org_slug)
    wording = settings
    sample = {
        "first_name": "Jamie",
        "organization": request.org.name,
        "link": request.build_absolute_uri(f"/{org_slug}/claim/…/"),
        "expires": (timezone.localtime() + timedelta(hours=wording.expiry_hours)).strftime(
            "%B %-d, %Y %H:%M"
        ),
    }
    preview = {
        "subject": fill(form["subject"].value() or "", sample),
        "body": fill(form["body"].value() or "", sample),
    }
    return render(request, "portal/invite_settings.html", {"form": form, "preview": preview})
