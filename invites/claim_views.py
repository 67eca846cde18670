"""Staff side of account invitations: the profile's Online account box, inviting and revoking, and the
invitation email's settings."""

from datetime import timedelta

from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from accounts.permissions import org_permission
from customers.selectors import get_customer_for_org
from invites import claim_services, selectors
from invites.forms import InviteSettingsForm
from invites.models import ClaimInvite
from invites.selectors import claim_status
from invites.wording import fill


def account_box(request, customer) -> dict:
    """The profile's Online account box: claim status and what staff can do about it."""
    invite = ClaimInvite.objects.filter(customer=customer).first()
    return {"customer": customer, "invite": invite, "status": claim_status(customer, invite)}


@require_POST
@org_permission("customers.change")
def invite(request, org_slug, pk):
    customer = get_customer_for_org(pk)
    try:
        claim_services.invite_send(customer=customer, by=request.user)
    except claim_services.InviteError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, f"An invitation to claim their account is on its way to {customer.email}.")
    return redirect("customers:profile", org_slug=org_slug, pk=pk)


@require_POST
@org_permission("customers.change")
def invite_revoke(request, org_slug, pk):
    customer = get_customer_for_org(pk)
    invite = get_object_or_404(ClaimInvite, customer=customer)
    claim_services.invite_revoke(invite=invite, by=request.user)
    messages.success(request, "Invitation revoked: its link no longer works.")
    return redirect("customers:profile", org_slug=org_slug, pk=pk)


@org_permission("settings.change")
def invite_settings(request, org_slug):
    settings = selectors.invite_settings()
    form = InviteSettingsForm(request.POST or None, instance=settings)
    if form.is_valid():
        claim_services.invite_settings_save(settings=form.save(commit=False), by=request.user)
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
    return render(request, "invites/invite_settings.html", {"form": form, "preview": preview})
