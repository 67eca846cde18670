from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from accounts.permissions import org_permission
from webhooks import selectors, services
from webhooks.addresses import UnsafeAddress
from webhooks.forms import EndpointEditForm, EndpointForm
from webhooks.models import WebhookDelivery, WebhookEndpoint


def _secret_page(request, endpoint: WebhookEndpoint, secret: str, *, rotated: bool):
    context = {"endpoint": endpoint, "secret": secret, "rotated": rotated, "section": "settings"}
    response = render(request, "webhooks/secret.html", context)
    response["Cache-Control"] = "no-store"
    return response


@org_permission("settings.change")
def endpoint_list(request, org_slug):
    """The organization's endpoints and the form to add one; a new endpoint's secret is shown once."""
    form = EndpointForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            endpoint, secret = services.endpoint_create(**form.cleaned_data, by=request.user)
        except UnsafeAddress as refused:
            form.add_error("url", str(refused))
        else:
            return _secret_page(request, endpoint, secret, rotated=False)
    context = {"form": form, "endpoints": selectors.endpoints_listed(), "section": "settings"}
    return render(request, "webhooks/endpoints.html", context, status=422 if form.errors else 200)


@org_permission("settings.change")
def endpoint_detail(request, org_slug, pk):
    """An endpoint: change it, send a test, rotate its secret, and its delivery log."""
    endpoint = get_object_or_404(WebhookEndpoint, pk=pk)
    initial = {
        "url": endpoint.url,
        "description": endpoint.description,
        "events": endpoint.events,
        "enabled": endpoint.enabled,
    }
    form = EndpointEditForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            changes = services.endpoint_update(endpoint=endpoint, **form.cleaned_data, by=request.user)
        except UnsafeAddress as refused:
            form.add_error("url", str(refused))
        else:
            messages.success(request, "Endpoint saved." if changes else "Nothing to change.")
            return redirect("webhooks:detail", org_slug=org_slug, pk=endpoint.pk)
    context = {
        "endpoint": endpoint,
        "form": form,
        "log": selectors.delivery_log(endpoint, request.GET.get("page")),
        "section": "settings",
    }
    return render(request, "webhooks/endpoint.html", context, status=422 if form.errors else 200)


@require_POST
@org_permission("settings.change")
def endpoint_ping(request, org_slug, pk):
    endpoint = get_object_or_404(WebhookEndpoint, pk=pk)
    services.endpoint_ping(endpoint=endpoint, by=request.user)
    messages.success(request, "A test event (ping) is on its way: it shows in the log below.")
    return redirect("webhooks:detail", org_slug=org_slug, pk=endpoint.pk)


@require_POST
@org_permission("settings.change")
def endpoint_rotate(request, org_slug, pk):
    endpoint = get_object_or_404(WebhookEndpoint, pk=pk)
    secret = services.endpoint_secret_rotate(endpoint=endpoint, by=request.user)
    return _secret_page(request, endpoint, secret, rotated=True)


@org_permission("settings.change")
def endpoint_delete(request, org_slug, pk):
    endpoint = get_object_or_404(WebhookEndpoint, pk=pk)
    if request.method == "POST":
        services.endpoint_delete(endpoint=endpoint, by=request.user)
        messages.success(request, f"The endpoint {endpoint.url} is deleted: it gets no more events.")
        return redirect("webhooks:list", org_slug=org_slug)
    return render(request, "webhooks/endpoint_delete.html", {"endpoint": endpoint, "section": "settings"})


@require_POST
@org_permission("settings.change")
def delivery_resend(request, org_slug, pk, delivery_pk):
    delivery = get_object_or_404(WebhookDelivery, pk=delivery_pk, endpoint_id=pk)
    services.delivery_resend(delivery=delivery, by=request.user)
    messages.success(request, f"The {delivery.event_type} event is sent again.")
    return redirect("webhooks:detail", org_slug=org_slug, pk=pk)
