"""Staff pages of waivers: Settings → Waivers (templates, their versions and signatures), the profile's
Waivers tab (signed copies, status per waiver, emailing a signing link) and a signed copy's PDF."""

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import content_disposition_header
from django.views.decorators.http import require_POST

from accounts.permissions import org_permission
from customers.selectors import get_customer_for_org
from customers.views import render_profile
from waivers import services
from waivers.forms import RESIGN, TemplateForm
from waivers.models import Status, WaiverSignature, WaiverTemplate
from waivers.pdf import signed_copy_pdf
from waivers.selectors import (
    active_templates,
    get_template_for_org,
    missing_waivers,
    signature_with_image,
    signatures_of,
    statuses,
)

# Settings → Waivers


@org_permission("settings.change")
def template_list(request, org_slug):
    templates = list(WaiverTemplate.objects.select_related("current_version").order_by("name"))
    context = {
        "active_templates": [template for template in templates if template.archived_at is None],
        "archived_templates": [template for template in templates if template.archived_at is not None],
    }
    return render(request, "waivers/settings.html", context)


@org_permission("settings.change")
def template_edit(request, org_slug, pk=None):
    template = get_template_for_org(pk) if pk else None
    form = TemplateForm(request.POST or None, template=template)
    if form.is_valid():
        data = form.cleaned_data
        fields = {
            "name": data["name"],
            "text": data["text"],
            "validity_months": data["validity_months"],
            "guardian_signs_for_minors": data["guardian_signs_for_minors"],
            "by": request.user,
        }
        if template is None:
            template = services.waiver_template_create(**fields)
            messages.success(request, f"“{template.name}” added.")
        else:
            version = services.waiver_template_update(
                template=template, resign_required=data["on_change"] == RESIGN, **fields
            )
            if version is None:
                messages.success(request, f"“{template.name}” saved.")
            elif version.resign_required:
                messages.success(
                    request, f"“{template.name}” version {version.number} saved: everyone signs it again."
                )
            else:
                messages.success(
                    request,
                    f"“{template.name}” version {version.number} saved: earlier signatures still count.",
                )
        return redirect("waiver_settings:list", org_slug=org_slug)
    return render(request, "waivers/template_form.html", {"form": form, "template": template})


@org_permission("settings.change")
def template_signatures(request, org_slug, pk):
    template = get_template_for_org(pk)
    signatures = (
        WaiverSignature.objects.filter(version__template=template)
        .defer("signature_png")
        .select_related("version")
        .order_by("-signed_at", "-id")
    )
    page = Paginator(signatures, 50).get_page(request.GET.get("page"))
    context = {"template": template, "page": page, "versions": template.versions.order_by("-number")}
    return render(request, "waivers/signatures.html", context)


@require_POST
@org_permission("settings.change")
def template_archive(request, org_slug, pk):
    template = get_template_for_org(pk)
    services.waiver_template_archive(template=template, by=request.user)
    messages.success(request, f"“{template.name}” archived. Its signed copies are kept.")
    return redirect("waiver_settings:list", org_slug=org_slug)


@require_POST
@org_permission("settings.change")
def template_restore(request, org_slug, pk):
    template = get_template_for_org(pk)
    services.waiver_template_restore(template=template, by=request.user)
    messages.success(request, f"“{template.name}” restored.")
    return redirect("waiver_settings:list", org_slug=org_slug)


# The profile's Waivers tab


def waiver_rows(customer) -> list[dict]:
    """Each waiver in use with this customer's status, and why it is needed when another app requires it."""
    templates = list(active_templates().order_by("name"))
    found = statuses([customer.pk], [template.pk for template in templates]).get(customer.pk, {})
    reasons: dict[int, list[str]] = {}
    for template, reason in missing_waivers([customer.pk]).get(customer.pk, []):
        reasons.setdefault(template.pk, []).append(reason)
    rows = []
    for template in templates:
        status = found.get(template.pk, Status.MISSING)
        rows.append(
            {
                "template": template,
                "status": status,
                "label": Status(status).label,
                "reasons": reasons.get(template.pk, []),
            }
        )
    return sorted(rows, key=lambda row: (not row["reasons"], row["template"].name.lower()))


@org_permission("customers.view")
def tab(request, org_slug, pk):
    customer = get_customer_for_org(pk)
    context = {
        "waiver_rows": waiver_rows(customer),
        "signatures": signatures_of([customer.pk], signed_by=customer),
    }
    return render_profile(request, customer, "waivers", context)


@require_POST
@org_permission("customers.change")
def email_link(request, org_slug, pk, template_pk):
    customer = get_customer_for_org(pk)
    template = get_template_for_org(template_pk)
    try:
        sent = services.waiver_request_send(template=template, customer=customer, by=request.user)
    except services.WaiverError as refusal:
        messages.error(request, str(refusal))
    else:
        messages.success(
            request,
            f"A link to sign “{template.name}” is on its way to "
            + ", ".join(request.email for request in sent)
            + ".",
        )
    return redirect("profile_waivers:tab", org_slug=org_slug, pk=customer.pk)


def pdf_response(signature: WaiverSignature) -> HttpResponse:
    response = HttpResponse(signed_copy_pdf(signature), content_type="application/pdf")
    name = f"waiver-{signature.signed_at:%Y-%m-%d}-{signature.pk}.pdf"
    response["Content-Disposition"] = content_disposition_header(True, name)
    return response


@org_permission("customers.view")
def signature_pdf(request, org_slug, signature_pk):
    return pdf_response(signature_with_image(signature_pk))
