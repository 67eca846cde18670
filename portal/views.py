"""What customers see: creating an account while booking or buying online, and their account page."""

from django.contrib.auth import login
from django.contrib.auth.decorators import login_required
from django.core.cache import cache
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render

from customers import services
from customers.forms import CustomerSignupForm, IntakeCustomerForm
from customers.models import Audience, Customer, IntakeForm
from customers.rules import Channel

SIGNUP_CHANNELS = {"booking": Channel.ONLINE_BOOKING, "store": Channel.ONLINE_STORE}


def signup(request, org_slug, channel_slug):
    channel = SIGNUP_CHANNELS.get(channel_slug)
    if channel is None:
        raise Http404("No such sign-up page.")
    form = CustomerSignupForm(request.POST or None, channel=channel, audience=Audience.CUSTOMER)
    if form.is_valid():
        data = {name: value for name, value in form.cleaned_data.items() if not name.startswith("password")}
        customer = services.customer_signup(
            data=data, password=form.cleaned_data["password1"], channel=channel
        )
        login(request, customer.user, backend="django.contrib.auth.backends.ModelBackend")
        return redirect("portal:account", org_slug=org_slug)
    return render(request, "portal/signup.html", {"form": form, "channel": channel})


@login_required
def account(request, org_slug):
    customer = Customer.objects.filter(user=request.user).first()
    if customer is None:
        raise Http404("You have no account with this organization.")
    return render(request, "portal/account.html", {"customer": customer})


INTAKE_LIMIT = 5  # submissions per visitor address and form every INTAKE_WINDOW seconds
INTAKE_WINDOW = 600


def _over_limit(request, intake: IntakeForm) -> bool:
    key = f"intake-rate:{intake.pk}:{request.META.get('REMOTE_ADDR', '')}"
    cache.add(key, 0, INTAKE_WINDOW)
    return cache.incr(key) > INTAKE_LIMIT


def intake_form(request, org_slug, form_slug):
    intake = get_object_or_404(IntakeForm, slug=form_slug, is_open=True)
    form = IntakeCustomerForm(request.POST or None, intake=intake)
    if request.method == "POST":
        if _over_limit(request, intake):
            context = {"intake": intake, "form": form, "limited": True}
            return render(request, "portal/intake_form.html", context, status=429)
        if form.is_valid():
            if not form.is_spam:  # a bot filled the honeypot: thank it and keep nothing
                data = {name: value for name, value in form.cleaned_data.items() if name != "website"}
                services.intake_submit(intake=intake, data=data)
            return redirect("portal:intake_thanks", org_slug=org_slug, form_slug=form_slug)
    return render(request, "portal/intake_form.html", {"intake": intake, "form": form})


def intake_thanks(request, org_slug, form_slug):
    intake = get_object_or_404(IntakeForm, slug=form_slug)
    return render(request, "portal/intake_thanks.html", {"intake": intake})
