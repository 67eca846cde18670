"""Staff side of package invitations: the Invites page (every package one may be invited to, with its
counts), one package's invitations (counts, conversion, cancel), inviting one customer from their profile,
and Settings → Package invites."""

from django.contrib import messages
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from accounts.permissions import org_permission
from billing.models import Package, Visibility
from billing.selectors import buyable_for
from customers.segments import segment_url, segments_for
from customers.selectors import get_customer_for_org
from invites import package_services
from invites.forms import PackageInviteForm, PackageInviteSettingsForm
from invites.models import PackageInviteStatus
from invites.package_selectors import (
    invite_refusal,
    package_invite_counts,
    package_invite_counts_by_package,
    package_invite_settings,
    package_invites,
    package_invites_of,
)


def _invitable_packages():
    return (
        Package.objects.filter(archived_at=None)
        .exclude(visibility__in=[Visibility.STAFF, Visibility.BOOKING])
        .order_by("name", "id")
    )


@org_permission("customers.change")
def index(request, org_slug):
    packages = list(_invitable_packages())
    counts = package_invite_counts_by_package(packages)
    rows = [(package, counts[package.pk]) for package in packages]
    return render(request, "invites/packages/index.html", {"rows": rows})


@org_permission("customers.change")
def package_detail(request, org_slug, pk):
    package = get_object_or_404(Package, pk=pk)
    status = request.GET.get("status", "")
    page = Paginator(package_invites(package, status), 50).get_page(request.GET.get("page"))
    counts = package_invite_counts(package)
    context = {
        "package": package,
        "counts": counts,
        "statuses": [(key, label, counts[key]) for key, label in PackageInviteStatus.choices],
        "status": status,
        "page": page,
        "segments": [(segment.name, segment_url(segment)) for segment in segments_for(request.membership)],
        "refusal": invite_refusal(package),
    }
    return render(request, "invites/packages/package.html", context)


@require_POST
@org_permission("customers.change")
def cancel(request, org_slug, pk, invite_pk):
    package = get_object_or_404(Package, pk=pk)
    invite = get_object_or_404(package_invites(package), pk=invite_pk)
    try:
        package_services.package_invite_cancel(
            invite=invite, reason=request.POST.get("reason", ""), by=request.user
        )
    except package_services.PackageInviteError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, f"The invitation of {invite.customer.full_name} is cancelled.")
    return redirect("package_invites:package", org_slug=org_slug, pk=pk)


@require_POST
@org_permission("customers.change")
def cancel_all(request, org_slug, pk):
    package = get_object_or_404(Package, pk=pk)
    try:
        count = package_services.package_invites_cancel(
            package=package, reason=request.POST.get("reason", ""), by=request.user
        )
    except package_services.PackageInviteError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, f"{count} pending invitation{'s' if count != 1 else ''} cancelled.")
    return redirect("package_invites:package", org_slug=org_slug, pk=pk)


def invites_box(request, customer) -> dict:
    """The profile's Package invites box: what this customer was invited to. Its form to invite them comes
    when it is opened (invite_one): few profiles open it, and every profile would build it."""
    return {"customer": customer, "package_invites": list(package_invites_of(customer)[:10])}


@require_http_methods(["GET", "POST"])
@org_permission("customers.change")
def invite_one(request, org_slug, pk):
    """The profile's form to invite this customer to buy a package (GET, as the box asks for it when opened),
    and sending it."""
    customer = get_customer_for_org(pk)
    form = PackageInviteForm(
        request.POST if request.method == "POST" else None,
        packages=_invitable_packages(),
        people=buyable_for(customer),
        customer=customer,
        prefix="invite",
    )
    if request.method == "GET":
        return render(request, "invites/packages/invite_form.html", {"form": form})
    if form.is_valid():
        beneficiary = form.cleaned_data["for_whom"]
        try:
            package_services.package_invites_send(
                package=form.cleaned_data["package"],
                customer_ids=[customer.pk],
                for_customer=None if beneficiary == customer else beneficiary,
                note=form.cleaned_data["note"],
                by=request.user,
            )
        except package_services.PackageInviteError as error:
            messages.error(request, str(error))
        else:
            messages.success(
                request, f"{customer.first_name} is invited to “{form.cleaned_data['package'].name}”."
            )
    else:
        messages.error(request, " ".join(error for errors in form.errors.values() for error in errors))
    return redirect("customers:profile", org_slug=org_slug, pk=pk)


@org_permission("settings.change")
def settings_page(request, org_slug):
    form = PackageInviteSettingsForm(request.POST or None, instance=package_invite_settings())
    if request.method == "POST" and form.is_valid():
        package_services.package_invite_settings_save(settings=form.instance, by=request.user)
        messages.success(request, "Package invitation email saved.")
        return redirect("package_invite_settings:page", org_slug=org_slug)
    status = 422 if request.method == "POST" else 200
    placeholders = ["first_name", "organization", "package", "price", "for_whom", "note", "link", "expires"]
    context = {"form": form, "placeholders": placeholders}
    return render(request, "invites/packages/settings.html", context, status=status)
