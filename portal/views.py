"""What customers see: creating an account while booking or buying online, and their account page."""

from django.contrib.auth import login
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render

from customers import services
from customers.forms import CustomerSignupForm
from customers.models import Audience, Customer
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
