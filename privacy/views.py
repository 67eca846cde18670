"""Staff pages: the profile's Privacy tab (exports with progress, and the way to erasure), the erasure's
confirmation, downloads of exports, Settings → Privacy (retention and the erasure log with certificates)."""

from django.contrib import messages
from django.http import FileResponse, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from accounts.permissions import has_permission, org_permission
from customers.selectors import get_customer_for_org
from customers.views import render_profile
from privacy import services
from privacy.certificate import certificate_pdf
from privacy.forms import EraseForm, ExportForm, PrivacySettingsForm
from privacy.models import ErasureRecord, PersonExport
from privacy.selectors import erasure_log, erasure_preview, exports_of, privacy_settings


def _tab(request, customer, form=None):
    exports = exports_of(customer)
    context = {
        "export_form": form or ExportForm(),
        "exports": exports,
        "building": any(export.status in ("queued", "building") for export in exports),
        "may_erase": has_permission(request.membership, "customers.delete"),
        "erased": ErasureRecord.objects.filter(customer=customer).first(),
        "export_days": privacy_settings().export_days,
    }
    if request.htmx and request.GET.get("part") == "exports":
        return render(request, "privacy/tab.html#exports", {"customer": customer, **context})
    return render_profile(request, customer, "privacy", context)


@org_permission("customers.export")
def tab(request, org_slug, pk):
    return _tab(request, get_customer_for_org(pk))


@require_POST
@org_permission("customers.export")
def export_start(request, org_slug, pk):
    customer = get_customer_for_org(pk)
    form = ExportForm(request.POST)
    if not form.is_valid():
        return _tab(request, customer, form)
    services.export_request(
        customer=customer, by=request.user, include_notes=form.cleaned_data["include_notes"]
    )
    if request.htmx:
        return _tab(request, customer)
    messages.success(request, "The export is being built: it appears below when it is ready.")
    return redirect("profile_privacy:tab", org_slug=org_slug, pk=pk)


@org_permission("customers.export")
def export_download(request, org_slug, pk):
    export = get_object_or_404(PersonExport, pk=pk)
    if export.status != PersonExport.Status.READY:
        messages.info(request, "That export is not ready, or its file has been deleted.")
        return redirect("profile_privacy:tab", org_slug=org_slug, pk=export.customer_id)
    services.export_download_record(export=export, by=request.user)
    return FileResponse(
        export.file.open("rb"), as_attachment=True, filename=f"personal-data-{export.customer_id}.zip"
    )


@org_permission("customers.delete")
def erase(request, org_slug, pk):
    """GET: what erasing this person does, part by part; POST with their name typed: erase them."""
    customer = get_customer_for_org(pk)
    if ErasureRecord.objects.filter(customer=customer).exists():
        messages.info(request, "This customer has been erased already.")
        return redirect("profile_privacy:tab", org_slug=org_slug, pk=pk)
    form = EraseForm(request.POST or None, expected=customer.full_name)
    if request.method == "POST" and form.is_valid():
        record = services.customer_erase(customer=customer, by=request.user)
        messages.success(
            request, f"The customer is erased. Certificate {record.reference} is in Settings → Privacy."
        )
        return redirect("privacy_settings:page", org_slug=org_slug)
    context = {"customer": customer, "form": form, "preview": erasure_preview(customer)}
    return render(request, "privacy/erase_confirm.html", context)


@org_permission("settings.change")
def settings_page(request, org_slug):
    settings = privacy_settings()
    form = PrivacySettingsForm(request.POST or None, instance=settings)
    if request.method == "POST" and form.is_valid():
        changes = services.privacy_settings_save(settings=form.save(commit=False), by=request.user)
        messages.success(request, "Privacy settings saved." if changes else "Nothing changed.")
        return redirect("privacy_settings:page", org_slug=org_slug)
    return render(request, "privacy/settings.html", {"form": form, "erasures": erasure_log()[:50]})


@org_permission("settings.change")
def certificate(request, org_slug, pk, file_format):
    record = get_object_or_404(ErasureRecord, pk=pk)
    if file_format == "json":
        response = HttpResponse(record.certificate.encode(), content_type="application/json; charset=utf-8")
    else:
        response = HttpResponse(certificate_pdf(record), content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{record.reference}.{file_format}"'
    return response
