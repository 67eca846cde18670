"""The customer's own copy of their data: asked for in the portal after typing their password again, built
by the worker and sent as a link that works once, for a few days."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse
from django.shortcuts import redirect, render

from accounts.ratelimit import over_limit
from portal.views import own_customer, render_portal
from privacy import services
from privacy.forms import ReauthenticateForm

REQUESTS_PER_DAY = 3


@login_required
def my_data(request, org_slug):
    customer = own_customer(request)
    form = ReauthenticateForm(request.POST or None, user=request.user)
    if request.method == "POST":
        if over_limit(request, "my-data", limit=REQUESTS_PER_DAY, seconds=24 * 3600):
            form.add_error(None, "You asked for your data a few times today already: try again tomorrow.")
        elif form.is_valid():
            services.export_request(customer=customer, by=request.user, include_notes=False, by_customer=True)
            messages.success(
                request, f"We are preparing your data and will email a link to {customer.email}."
            )
            return redirect("privacy_portal:my_data", org_slug=org_slug)
    return render_portal(request, customer, "my_data", "privacy/portal_my_data.html", {"form": form})


def download(request, org_slug, token):
    export = services.export_link_use(token=token)
    if export is None:
        return render(request, "privacy/portal_link_dead.html", status=404)
    return FileResponse(export.file.open("rb"), as_attachment=True, filename="my-data.zip")
