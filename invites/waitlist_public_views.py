"""What customers see of waitlists (namespace waitlist, under /<org>/): joining the line of a sold-out package
from the store, the offer a freed spot's email links to (accept → the store's card page, or decline), and the
portal's My waitlists (place in line, live offers, Leave)."""

from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from billing.charging import SaleError
from billing.forms import StoreBuyForm
from billing.selectors import buyable_for, store_packages
from customers.models import Customer
from invites import waitlist_services
from invites.waitlist_selectors import entry_seen_by, offer_for_token, waitlists_seen_by
from portal.views import own_customer, render_portal


@login_required
def join(request, org_slug, package_id):
    """Choose for whom (themselves, or someone they may buy for), then join the line."""
    package = get_object_or_404(store_packages(), pk=package_id)
    here = request.get_full_path()
    customer = Customer.objects.filter(user=request.user).first()
    if customer is None:  # a login from another business: join this one first
        signup = reverse("portal:signup", kwargs={"org_slug": org_slug, "channel_slug": "store"})
        return redirect(f"{signup}?{urlencode({'next': here})}")
    form = StoreBuyForm(request.POST or None, people=buyable_for(customer))
    if request.method == "POST" and form.is_valid():
        person = form.cleaned_data["for_whom"]
        try:
            waitlist_services.waitlist_join(package=package, customer=person, joined_by=customer)
        except waitlist_services.WaitlistError as error:
            form.add_error(None, str(error))
        else:
            messages.success(
                request,
                f"{person.first_name} is on the waitlist of “{package.name}”: we email you if a spot opens.",
            )
            return redirect("waitlist:mine", org_slug=org_slug)
    status = 422 if request.method == "POST" else 200
    return render(request, "invites/waitlist/join.html", {"package": package, "form": form}, status=status)


def _gone(request, offer, *, expired: bool):
    """The page of a link that no longer holds a spot: 410 once expired, 404 when unknown or used."""
    context = {"offer": offer, "expired": expired}
    return render(request, "invites/waitlist/offer_gone.html", context, status=410 if expired else 404)


def _offer_state(offer) -> str:
    if offer is None or offer.declined_at or offer.hold.purchase_id or offer.hold.released_at:
        return "used"
    return "live" if offer.is_live else "expired"


def offer(request, org_slug, token):
    found = offer_for_token(token)
    state = _offer_state(found)
    if state != "live":
        return _gone(request, found, expired=state == "expired")
    return render(request, "invites/waitlist/offer.html", {"offer": found, "token": token})


def _accept(request, found):
    """Take the held spot: on to the store's card page, or the page saying why not."""
    try:
        checkout = waitlist_services.waitlist_offer_accept(offer=found, payer=own_customer(request))
    except waitlist_services.OfferExpired:
        waitlist_services.waitlist_offer_expire(offer=found)
        return _gone(request, found, expired=True)
    except waitlist_services.OfferUsed:
        return _gone(request, found, expired=False)
    except (waitlist_services.WaitlistError, SaleError) as refusal:
        messages.error(request, str(refusal))
        return None
    return redirect("store:pay", org_slug=request.org.slug, pk=checkout.pk)


@require_POST
def offer_accept(request, org_slug, token):
    found = offer_for_token(token)
    if found is None:
        return _gone(request, None, expired=False)
    here = reverse("waitlist:offer", kwargs={"org_slug": org_slug, "token": token})
    if not request.user.is_authenticated:
        return redirect(f"{reverse('accounts:login')}?{urlencode({'next': here})}")
    return _accept(request, found) or redirect(here)


@require_POST
def offer_decline(request, org_slug, token):
    found = offer_for_token(token)
    if found is None:
        return _gone(request, None, expired=False)
    return _decline(request, found) or render(request, "invites/waitlist/declined.html", {"offer": found})


def _decline(request, found):
    by = request.user if request.user.is_authenticated else None
    try:
        waitlist_services.waitlist_offer_decline(offer=found, by=by)
    except waitlist_services.OfferExpired:
        waitlist_services.waitlist_offer_expire(offer=found)
        return _gone(request, found, expired=True)
    except waitlist_services.OfferUsed:
        return _gone(request, found, expired=False)
    return None


@login_required
def mine(request, org_slug):
    customer = own_customer(request)
    context = {"entries": waitlists_seen_by(customer)}
    return render_portal(request, customer, "waitlists", "invites/waitlist/portal.html", context)


def _entry_offer(request, pk):
    """The live offer of a place in line the signed-in customer sees, or 404."""
    offer = entry_seen_by(own_customer(request), pk).offer
    if offer is None:
        raise Http404("No offer is open for this place in line.")
    return offer


@require_POST
@login_required
def leave(request, org_slug, waitlist_entry_pk):
    customer = own_customer(request)
    entry = entry_seen_by(customer, waitlist_entry_pk)
    try:
        waitlist_services.waitlist_leave(entry=entry, customer=customer)
    except waitlist_services.WaitlistError as error:
        messages.error(request, str(error))
    else:
        messages.success(
            request, f"{entry.customer.first_name} left the waitlist of “{entry.waitlist.package.name}”."
        )
    return redirect("waitlist:mine", org_slug=org_slug)


@require_POST
@login_required
def entry_accept(request, org_slug, waitlist_entry_pk):
    return _accept(request, _entry_offer(request, waitlist_entry_pk)) or redirect(
        "waitlist:mine", org_slug=org_slug
    )


@require_POST
@login_required
def entry_decline(request, org_slug, waitlist_entry_pk):
    found = _entry_offer(request, waitlist_entry_pk)
    if response := _decline(request, found):
        return response
    messages.success(
        request, f"You let the spot in “{found.hold.package.name}” go to the next person. Thank you."
    )
    return redirect("waitlist:mine", org_slug=org_slug)
