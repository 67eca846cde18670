"""Settings → Packages: what the business sells."""

from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from accounts.permissions import org_permission
from billing import services
from billing.forms import PackageForm
from billing.models import Package


@org_permission("settings.change")
def package_list(request, org_slug):
    packages = list(Package.objects.order_by("name"))
    context = {
        "packages": [package for package in packages if not package.is_archived],
        "archived_packages": [package for package in packages if package.is_archived],
    }
    return render(request, "billing/packages.html", context)


@org_permission("settings.change")
def package_edit(request, org_slug, pk=None):
    package = get_object_or_404(Package, pk=pk) if pk else Package()
    form = PackageForm(request.POST or None, instance=package, organization=request.org)
    if form.is_valid():
        package = services.package_save(package=form.save(commit=False), by=request.user)
        messages.success(request, f"“{package.name}” saved.")
        return redirect("package_settings:list", org_slug=org_slug)
    return render(request, "billing/package_form.html", {"form": form, "package": package})


@require_POST
@org_permission("settings.change")
def package_archive(request, org_slug, pk):
    package = get_object_or_404(Package, pk=pk)
    services.package_archive(package=package, by=request.user)
    messages.success(request, f"“{package.name}” archived: off sale, and kept for what was sold.")
    return redirect("package_settings:list", org_slug=org_slug)


@require_POST
@org_permission("settings.change")
def package_restore(request, org_slug, pk):
    package = get_object_or_404(Package, pk=pk)
    services.package_restore(package=package, by=request.user)
    messages.success(request, f"“{package.name}” restored.")
    return redirect("package_settings:list", org_slug=org_slug)
