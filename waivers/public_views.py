"""What customers see of waivers: the portal's Waivers page (theirs and their children's, with Sign buttons
and the signed copies as PDF), signing online (`?next=` brings them back, e.g. to a booking's checkout), and
the emailed link, which needs no login: its token is the proof."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme

from portal.views import own_customer, render_portal
from waivers.models import Channel, Status
from waivers.selectors import (
    active_templates,
    may_sign,
    needs_guardian,
    open_request_for_token,
    signable_for,
    signature_with_image,
    signatures_of,
    statuses,
)
from waivers.signing import sign_form, sign_from_form
from waivers.views import pdf_response

SIGNED = {Status.VALID, Status.EXPIRING}


def _safe_next(request) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    allowed = url_has_allowed_host_and_scheme(target, {request.get_host()}, request.is_secure())
    return target if target and allowed else ""


@login_required
def mine(request, org_slug):
    customer = own_customer(request)
    people = signable_for(customer)
    templates = list(active_templates().order_by("name"))
    found = statuses([person.pk for person in people], [template.pk for template in templates])
    rows = [
        {
            "template": template,
            "people": [
                {
                    "person": person,
                    "status": (status := found.get(person.pk, {}).get(template.pk, Status.MISSING)),
                    "label": Status(status).label,
                    "may_sign": may_sign(template, customer, person) == "",
                }
                for person in people
                if not (person.pk == customer.pk and needs_guardian(template, person))
            ],
        }
        for template in templates
    ]
    context = {
        "rows": rows,
        "signatures": signatures_of([person.pk for person in people], signed_by=customer),
    }
    return render_portal(request, customer, "waivers", "waivers/portal_waivers.html", context)


@login_required
def sign(request, org_slug, template_pk):
    customer = own_customer(request)
    template = get_object_or_404(active_templates(), pk=template_pk)
    people = [person for person in signable_for(customer) if may_sign(template, customer, person) == ""]
    found = statuses([person.pk for person in people], [template.pk])
    unsigned = [person.pk for person in people if found.get(person.pk, {}).get(template.pk) not in SIGNED]
    form = sign_form(request, template, signers=[customer], people=people, ticked=unsigned)
    next_url = _safe_next(request)
    if request.method == "POST" and form.is_valid():
        signed = sign_from_form(request, form, template=template, channel=Channel.ONLINE)
        if signed:
            names = ", ".join(signature.customer_name for signature in signed)
            messages.success(request, f"“{template.name}” signed for {names}. Thank you.")
            return redirect(next_url or reverse("waivers:mine", kwargs={"org_slug": org_slug}))
    context = {"template": template, "form": form, "next": next_url, "customer": customer}
    return render(request, "waivers/portal_sign.html", context)


@login_required
def signature_pdf(request, org_slug, signature_pk):
    return pdf_response(signature_with_image(signature_pk, seen_by=own_customer(request)))


def link(request, org_slug, token):
    waiver_request = open_request_for_token(token)
    if waiver_request is None or waiver_request.template.archived_at is not None:
        return render(request, "waivers/link_invalid.html", status=404)
    template, signer = waiver_request.template, waiver_request.signer
    form = sign_form(request, template, signers=[signer], people=[waiver_request.for_customer])
    if request.method == "POST" and form.is_valid():
        signed = sign_from_form(request, form, template=template, channel=Channel.EMAIL, link=waiver_request)
        if signed:
            return render(request, "waivers/link_done.html", {"template": template, "signed": signed})
    return render(request, "waivers/link.html", {"template": template, "form": form, "signer": signer})
