"""The invitation's own page (/<org>/invite/<token>/, namespace package_invite): the customer sees the
package, the price and for whom, accepts (signed in: the store's checkout) or declines with a reason. The
link is the proof for declining; paying needs the invited customer's login."""

from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from billing.spots import spots_free
from customers.models import Customer
from invites import package_services
from invites.forms import RejectForm
from invites.models import PackageInvite
from invites.package_selectors import package_invite_for_token
from portal.views import own_customer


def _page(request, invite: PackageInvite, token: str, *, form=None, error: str = "", status: int = 200):
    here = request.get_full_path()
    signed_in_as = (
        Customer.objects.filter(user=request.user).first() if request.user.is_authenticated else None
    )
    context = {
        "invite": invite,
        "token": token,
        "full": spots_free(invite.package) == 0,
        "form": form or RejectForm(),
        "error": error,
        "is_invitee": signed_in_as is not None and signed_in_as.pk == invite.customer_id,
        "login_url": f"{reverse('accounts:login')}?{urlencode({'next': here})}",
        "signup_url": reverse("portal:signup", kwargs={"org_slug": request.org.slug, "channel_slug": "store"})
        + f"?{urlencode({'next': here})}",
    }
    return render(request, "invites/packages/open.html", context, status=status)


def _invite_or_404(request, token):
    invite = package_invite_for_token(token)
    if invite is None:
        return None, render(request, "invites/packages/invalid.html", status=404)
    return invite, None


def open_invite(request, org_slug, token):
    invite, missing = _invite_or_404(request, token)
    if missing:
        return missing
    package_services.package_invite_open(invite=invite)
    return _page(request, invite, token)


@require_POST
@login_required
def accept(request, org_slug, token):
    invite, missing = _invite_or_404(request, token)
    if missing:
        return missing
    payer = Customer.objects.filter(user=request.user).first()
    try:
        if payer is None:
            raise package_services.PackageInviteError(
                "This invitation is for someone else: log in as the person invited."
            )
        checkout = package_services.package_invite_accept(invite=invite, payer=payer)
    except package_services.PackageInviteError as error:
        return _page(request, invite, token, error=str(error), status=409)
    return redirect("store:pay", org_slug=org_slug, pk=checkout.pk)


@require_POST
@login_required
def waitlist(request, org_slug, token):
    """The package is full: the invited customer joins its waitlist."""
    invite, missing = _invite_or_404(request, token)
    if missing:
        return missing
    try:
        entry = package_services.package_invite_waitlist_join(invite=invite, joined_by=own_customer(request))
    except package_services.PackageInviteError as error:
        return _page(request, invite, token, error=str(error), status=409)
    messages.success(
        request,
        f"{entry.customer.first_name} is on the waitlist of “{invite.package.name}”: "
        "we email you if a spot opens.",
    )
    return redirect("waitlist:mine", org_slug=org_slug)


@require_POST
def reject(request, org_slug, token):
    invite, missing = _invite_or_404(request, token)
    if missing:
        return missing
    form = RejectForm(request.POST)
    if not form.is_valid():
        return _page(request, invite, token, form=form, status=422)
    try:
        package_services.package_invite_reject(invite=invite, reason=form.cleaned_data["reason"])
    except package_services.PackageInviteError as error:
        return _page(request, invite, token, error=str(error), status=409)
    invite.refresh_from_db()
    return _page(request, invite, token)
