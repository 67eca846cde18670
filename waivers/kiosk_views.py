"""The front desk's signing tablet (/app/<org>/waivers/sign/): staff find the customer and the waiver, then
hand over a page that shows only the waiver and the pad, signed by the customer or a guardian who may book for
them. "Done — next person" goes back to the search."""

from django.shortcuts import render

from accounts.permissions import org_permission
from customers.models import Customer
from customers.search import search_page
from customers.selectors import get_customer_for_org
from waivers.models import Channel
from waivers.selectors import active_templates, get_template_for_org, guardians_signing_for, needs_guardian
from waivers.signing import sign_form, sign_from_form


@org_permission("customers.change")
def pick(request, org_slug):
    templates = list(active_templates().order_by("name"))
    default = templates[0] if templates else None
    chosen = next((t for t in templates if str(t.pk) == request.GET.get("template")), default)
    query = request.GET.get("q", "").strip()[:100]
    matches = []
    if query:
        matches = search_page(Customer.objects.filter(archived_at=None), query, offset=0, limit=10).rows
    context = {"templates": templates, "chosen": chosen, "query": query, "matches": matches}
    return render(request, "waivers/kiosk_pick.html", context)


@org_permission("customers.change")
def kiosk(request, org_slug, pk, template_pk):
    customer = get_customer_for_org(pk)
    template = get_template_for_org(template_pk)
    context = {"customer": customer, "template": template}
    if template.archived_at is not None or template.current_version is None:
        return render(request, "waivers/kiosk.html", context | {"unavailable": True})
    guardians = guardians_signing_for(customer)
    signers = guardians if needs_guardian(template, customer) else [customer, *guardians]
    form = sign_form(request, template, signers=signers, people=[customer])
    if request.method == "POST" and signers and form.is_valid():
        signed = sign_from_form(request, form, template=template, channel=Channel.DESK, by=request.user)
        if signed:
            return render(request, "waivers/kiosk.html", context | {"signed": signed})
    return render(request, "waivers/kiosk.html", context | {"form": form, "signers": signers})
