from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from accounts.permissions import org_permission
from api import services
from api.forms import ApiKeyForm
from api.models import ApiKey


@org_permission("settings.change")
def keys(request, org_slug):
    """The organization's API keys; a new key's secret is shown on this page once, right after it is made."""
    form = ApiKeyForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        key, secret = services.key_create(
            name=form.cleaned_data["name"], scopes=form.cleaned_data["scopes"], by=request.user
        )
        context = {"key": key, "secret": secret, "section": "settings"}
        response = render(request, "api/key_created.html", context)
        response["Cache-Control"] = "no-store"
        return response
    listed = ApiKey.objects.select_related("created_by").order_by("revoked_at", "-created_at")
    return render(request, "api/keys.html", {"form": form, "keys": listed, "section": "settings"})


@require_POST
@org_permission("settings.change")
def revoke(request, org_slug, pk):
    key = get_object_or_404(ApiKey, pk=pk)
    services.key_revoke(key=key, by=request.user)
    messages.success(request, f"The key “{key.name}” is revoked: calls made with it are refused from now on.")
    return redirect("api_keys:list", org_slug=org_slug)
