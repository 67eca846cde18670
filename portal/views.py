"""What customers see: creating an account while booking or buying online, claiming the account staff made
for them, and their own pages (profile, family)."""

import copy

from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.db.models import F
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.datastructures import MultiValueDict
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from accounts.forms import ConfirmSignupForm
from accounts.models import User
from accounts.ratelimit import over_limit, signup_email_allowed, signups_over_limit
from accounts.tenancy import as_user
from customers import services
from customers.forms import CustomerSignupForm
from customers.models import Audience, Customer
from customers.rules import Channel
from families import services as family_services
from families.models import GuardianLink, GuardianPermission, Relationship
from families.selectors import guardian_may, link_allows
from invites import claim_services
from invites.selectors import open_invite_for_token
from invites.tasks import claim_link_request
from portal import services as portal_services
from portal import signups
from portal.email_change import EmailChangeError, email_change_for_token
from portal.forms import (
    ClaimPasswordForm,
    ClaimRequestForm,
    EmailChangeForm,
    GuestChildForm,
    PortalCustomerForm,
    SignupChildFormSet,
    SignupPasswordForm,
)
from portal.navigation import portal_sections
from portal.tasks import signup_request_send

SIGNUP_CHANNELS = {"booking": Channel.ONLINE_BOOKING, "store": Channel.ONLINE_STORE}


def _safe_next(request, target: str | None = None) -> str:
    """Where to go after signing up (`next`), if it is a page of this site; "" otherwise."""
    target = target if target is not None else request.POST.get("next") or request.GET.get("next") or ""
    allowed = url_has_allowed_host_and_scheme(target, {request.get_host()}, request.is_secure())
    return target if target and allowed else ""


def _signup_page(channel: str, data=None, **context):
    context = {
        "form": CustomerSignupForm(data, channel=channel, audience=Audience.CUSTOMER),
        "children": SignupChildFormSet(data, prefix="child"),
        "password_form": SignupPasswordForm(data),
        "channel": channel,
        "channel_slug": next(slug for slug, value in SIGNUP_CHANNELS.items() if value == channel),
        **context,
    }
    return context


def signup(request, org_slug, channel_slug):
    """Always "check your email" for a valid form: whether the address has a login or is on the roster is
    for its owner to read in the email, and nothing is made until they open the link in it."""
    channel = SIGNUP_CHANNELS.get(channel_slug)
    if channel is None:
        raise Http404("No such sign-up page.")
    if request.user.is_authenticated:
        return _signup_join(request, channel)
    data = request.POST if request.method == "POST" else None
    context = _signup_page(channel, data, next=_safe_next(request))
    if data is None:
        return render(request, "portal/signup.html", context)
    if signups_over_limit(request):
        return render(request, "portal/signup.html", context | {"limited": True}, status=429)
    form, children, password = context["form"], context["children"], context["password_form"]
    if not all([form.is_valid(), children.is_valid(), password.is_valid()]):
        return render(request, "portal/signup.html", context)
    email = form.cleaned_data["email"]
    if signup_email_allowed(email):
        details = {key: data.getlist(key) for key in data if key not in SIGNUP_UNKEPT}
        details["next"] = [context["next"]]  # kept checked, and checked again when the link is opened
        signups.signup_request(
            email=email, password=password.cleaned_data["password1"], channel=channel, details=details
        )
    return render(request, "portal/signup_sent.html", {"email": email})


SIGNUP_UNKEPT = ("csrfmiddlewaretoken", "password1", "password2")


def _signup_join(request, channel: str):
    """Signed in (every login's address is confirmed) but not a customer here yet: the same form, with their
    address fixed and no password."""
    next_url = _safe_next(request)
    if Customer.objects.filter(user=request.user).exists():
        return redirect(next_url or reverse("portal:account", kwargs={"org_slug": request.org.slug}))
    context = _signup_page(
        channel, request.POST if request.method == "POST" else None, joining=True, next=next_url
    )
    form, children = context["form"], context["children"]
    form.fields["email"].disabled = True
    form.initial["email"] = request.user.email
    if request.method == "POST" and form.is_valid() and children.is_valid():
        try:
            signups.signup_join(
                user=request.user,
                channel=channel,
                data=form.cleaned_data,
                children=[child for child in children.cleaned_data if child],
            )
        except signups.SignupError:
            return redirect("portal:account", org_slug=request.org.slug)
        messages.success(request, f"Welcome! Your account with {request.org.name} is ready.")
        return redirect(next_url or reverse("portal:account", kwargs={"org_slug": request.org.slug}))
    return render(request, "portal/signup.html", context)


@require_POST
def signup_resend(request, org_slug):
    """ "Send it again": the same answer for every address; the worker looks it up."""
    form = ClaimRequestForm(request.POST)
    if not form.is_valid():
        raise Http404("No address.")
    email = form.cleaned_data["email"].strip().lower()
    allowed = not signups_over_limit(request)
    if allowed and signup_email_allowed(email):
        signup_request_send.delay_on_commit(org_id=request.org.pk, email=email)
    return render(request, "portal/signup_sent.html", {"email": email, "resent": True})


def signup_confirm(request, org_slug, token):
    """The link from the sign-up email: one button (mail scanners that open links must not use it up),
    which makes the account from what the visitor typed, checked again, and signs them in."""
    signup = signups.open_signup_for_token(token)
    if signup is None:
        return render(request, "portal/signup_confirm.html", {"valid": False}, status=404)
    confirmation = ConfirmSignupForm(request.POST or None, password_hash=signup.password)
    if not confirmation.is_valid():
        context = {"valid": True, "signup": signup, "form": confirmation}
        return render(request, "portal/signup_confirm.html", context)
    context = _signup_page(signup.channel, MultiValueDict(signup.details))
    form, children = context["form"], context["children"]
    if not (form.is_valid() and children.is_valid()):  # the organization asks for other details since
        context["password_form"] = SignupPasswordForm()
        return render(request, "portal/signup.html", context | {"asks_more": True})
    try:
        customer = signups.signup_confirm(
            signup_id=signup.pk,
            data=form.cleaned_data,
            children=[child for child in children.cleaned_data if child],
        )
    except signups.SignupError as error:
        messages.info(request, f"{error} Log in to continue.")
        return redirect_to_login(reverse("portal:account", kwargs={"org_slug": org_slug}))
    login(request, customer.user, backend="django.contrib.auth.backends.ModelBackend")
    messages.success(request, f"Welcome! Your account with {request.org.name} is ready.")
    # The page they signed up from (the store's checkout, say), kept with the form and checked again.
    next_url = _safe_next(request, (signup.details.get("next") or [""])[0])
    return redirect(next_url or reverse("portal:account", kwargs={"org_slug": org_slug}))


# Claiming an account ------------------------------------------------------------------------------------

CLAIM_REQUESTS_PER_HOUR = 5


def _invalid_claim(request, form=None, sent=False):
    """The one page for every unusable link: it tells nothing about whether an account exists."""
    context = {"form": form or ClaimRequestForm(), "sent": sent}
    return render(request, "portal/claim_invalid.html", context, status=200 if sent else 404)


def claim(request, org_slug, token):
    invite = open_invite_for_token(token)
    if invite is None:
        return _invalid_claim(request)
    customer = invite.customer
    existing_login = User.objects.filter(email__iexact=invite.email).exists()
    context = {"invite": invite, "customer": customer}
    try:
        if existing_login:
            signed_in_as_invitee = (
                request.user.is_authenticated and request.user.email.lower() == invite.email.lower()
            )
            if signed_in_as_invitee and request.method == "POST":
                claim_services.invite_claim(invite_id=invite.pk, user=request.user)
                messages.success(request, f"Your account with {request.org.name} is now yours.")
                return redirect("portal:account", org_slug=org_slug)
            context["signed_in_as_invitee"] = signed_in_as_invitee
            return render(request, "portal/claim_existing.html", context)
        form = ClaimPasswordForm(
            request.POST or None, user=User(email=invite.email, first_name=customer.first_name)
        )
        if form.is_valid():
            customer = claim_services.invite_claim_with_new_login(
                invite_id=invite.pk, password=form.cleaned_data["password1"]
            )
            login(request, customer.user, backend="django.contrib.auth.backends.ModelBackend")
            messages.success(request, f"Welcome! Your account with {request.org.name} is ready.")
            return redirect("portal:account", org_slug=org_slug)
    except claim_services.InviteError:
        return _invalid_claim(request)
    return render(request, "portal/claim.html", context | {"form": form})


@require_POST
def claim_request(request, org_slug):
    """ "Send me a new link": always the same answer; the worker does the looking up."""
    form = ClaimRequestForm(request.POST)
    if not form.is_valid():
        return _invalid_claim(request, form)
    if not over_limit(request, "claim-request", limit=CLAIM_REQUESTS_PER_HOUR, seconds=3600):
        claim_link_request.delay_on_commit(org_id=request.org.pk, email=form.cleaned_data["email"])
    return _invalid_claim(request, sent=True)


# The customer's own pages -------------------------------------------------------------------------------


def own_customer(request) -> Customer:
    """The signed-in person's entry on this organization's roster, or 404."""
    customer = Customer.objects.filter(user=request.user).first()
    if customer is None:
        raise Http404("You have no account with this organization.")
    return customer


def render_portal(request, customer: Customer, section: str, template: str, context: dict):
    """A page of the customer's portal, with its section menu and the switcher to their other accounts."""
    with as_user(request.user.pk):  # their own entries in other organizations, for the switcher
        elsewhere = list(
            Customer.objects.unscoped()
            .filter(user=request.user)
            .exclude(organization=request.org)
            .order_by("organization__name")
            .values(name=F("organization__name"), slug=F("organization__slug"))
        )
    context = {
        "customer": customer,
        "section": section,
        "sections": portal_sections(),
        "elsewhere": elsewhere,
        "read_only": False,
        **context,
    }
    return render(request, template, context)


@login_required
def account(request, org_slug):
    customer = Customer.objects.filter(user=request.user).first()
    if customer is None:  # a login from elsewhere: join here first
        return redirect("portal:signup", org_slug=org_slug, channel_slug="booking")
    form = PortalCustomerForm(
        request.POST or None,
        instance=copy.copy(customer),
        channel=Channel.ONLINE_BOOKING,
        audience=Audience.CUSTOMER,
    )
    if form.is_valid():
        changes = services.customer_update(
            customer=customer, data=form.cleaned_data, by=request.user, detail="Changed by the customer"
        )
        messages.success(request, "Your details are saved." if changes else "Nothing changed.")
        return redirect("portal:account", org_slug=org_slug)
    context = {"form": form, "email_form": EmailChangeForm()}
    return render_portal(request, customer, "profile", "portal/account.html", context)


@login_required
def family(request, org_slug):
    customer = own_customer(request)
    form = GuestChildForm(request.POST or None, initial={"last_name": customer.last_name})
    if form.is_valid():
        child = family_services.guest_create(
            guardian=customer,
            data=form.cleaned_data,
            relationship=Relationship.PARENT,
            is_primary=True,  # a new child: the parent adding them is their first guardian
            by=request.user,
        )
        messages.success(request, f"{child.first_name} is added to your family.")
        return redirect("portal:family", org_slug=org_slug)
    links = list(
        GuardianLink.objects.filter(guardian=customer, dependant__archived_at=None)
        .select_related("guardian", "dependant")
        .order_by("dependant__birthday")
    )
    # Beyond a name, a dependant's details (age, who else looks after them) need "view profile".
    visible = [link for link in links if link_allows(link, GuardianPermission.VIEW_PROFILE)]
    others = GuardianLink.objects.filter(dependant__in=[link.dependant for link in visible]).exclude(
        guardian=customer
    )
    co_guardians: dict[int, list] = {}
    for other in others.select_related("guardian"):
        co_guardians.setdefault(other.dependant_id, []).append(other.guardian)
    rows = [(link, link in visible, co_guardians.get(link.dependant_id, [])) for link in links]
    return render_portal(request, customer, "family", "portal/family.html", {"rows": rows, "form": form})


@login_required
def family_member(request, org_slug, pk):
    """A dependant's details: shown with "view profile", editable with "edit profile" (checked here)."""
    customer = own_customer(request)
    link = get_object_or_404(
        GuardianLink.objects.select_related("dependant"), guardian=customer, dependant_id=pk
    )
    if not guardian_may(customer, GuardianPermission.VIEW_PROFILE, link.dependant):
        raise Http404("You may not see this profile.")
    may_edit = guardian_may(customer, GuardianPermission.EDIT_PROFILE, link.dependant)
    dependant = link.dependant
    form = PortalCustomerForm(
        request.POST if may_edit and request.method == "POST" else None,
        instance=copy.copy(dependant),
        channel=Channel.ONLINE_BOOKING,
        audience=Audience.GUARDIAN,
    )
    if request.method == "POST" and not may_edit:
        raise PermissionDenied("You may not edit this profile.")
    if form.is_valid():
        services.customer_update(
            customer=dependant,
            data=form.cleaned_data,
            by=request.user,
            detail=f"Changed by {customer.full_name}",
        )
        messages.success(request, f"{dependant.first_name}'s details are saved.")
        return redirect("portal:family", org_slug=org_slug)
    context = {"dependant": dependant, "form": form, "may_edit": may_edit, "link": link}
    context["email_form"] = EmailChangeForm() if may_edit and not dependant.user_id else None
    return render_portal(request, customer, "family", "portal/family_member.html", context)


# Email changes: confirmed from the new address ------------------------------------------------------------

EMAIL_CHANGES_PER_HOUR = 5


@require_POST
@login_required
def email_change(request, org_slug, pk=None):
    """Ask to change the email of one's own entry, or of a dependant without a login of their own that one
    may edit. Nothing changes until the link sent to the new address is opened."""
    customer = own_customer(request)
    target, back = customer, redirect("portal:account", org_slug=org_slug)
    if pk is not None:
        links = GuardianLink.objects.select_related("dependant")
        link = get_object_or_404(links, guardian=customer, dependant_id=pk)
        target, back = link.dependant, redirect("portal:family_member", org_slug=org_slug, pk=pk)
        if target.user_id or not guardian_may(customer, GuardianPermission.EDIT_PROFILE, target):
            raise PermissionDenied("You may not change this email.")
    form = EmailChangeForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Enter a valid email address.")
    elif over_limit(request, "email-change", limit=EMAIL_CHANGES_PER_HOUR, seconds=3600):
        messages.error(request, "Too many changes asked for: try again in an hour.")
    else:
        portal_services.email_change_request(customer=target, new_email=form.cleaned_data["email"])
        messages.success(
            request, f"We sent a link to {form.cleaned_data['email']}: the email changes when it is opened."
        )
    return back


def email_change_confirm(request, org_slug, token):
    """The link from the new address's inbox: one button, then the change applies."""
    try:
        customer, new_email = email_change_for_token(token, request.org.pk)
        if request.method == "POST":
            portal_services.email_change_confirm(token=token, organization_id=request.org.pk)
            return render(request, "portal/email_change_confirm.html", {"done": True, "new_email": new_email})
    except EmailChangeError as error:
        return render(request, "portal/email_change_confirm.html", {"error": str(error)}, status=404)
    return render(request, "portal/email_change_confirm.html", {"customer": customer, "new_email": new_email})
