"""The profile's Form responses box: intake form answers that differ from what is on file, each accepted or
rejected by staff."""

from django.contrib import messages
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from accounts.permissions import org_permission
from customers import intake
from customers.models import PendingChange
from customers.selectors import get_customer_for_org


def form_responses_box(request, customer) -> dict:
    """Empty when nothing waits, so the box (drawn above the tabs) is left out."""
    rows = intake.form_responses(customer, request.membership.role)
    return {"customer": customer, "rows": rows} if rows else {}


def _decide(request, pk: int, change_pk: int, decide, done: str):
    customer = get_customer_for_org(pk)
    change = get_object_or_404(PendingChange, pk=change_pk, customer=customer)
    reviewable = {row["change"].pk for row in intake.form_responses(customer, request.membership.role)}
    error = ""
    if change.pk not in reviewable and change.status == PendingChange.Status.PENDING:
        raise Http404("No such answer.")  # a field this role may not see or edit, as everywhere else
    try:
        decide(change=change, by=request.user)
    except intake.ReviewError as refusal:
        error = str(refusal)
    if not request.htmx:
        messages.error(request, error) if error else messages.success(request, done)
        return redirect("customers:profile", org_slug=request.org.slug, pk=customer.pk)
    customer.refresh_from_db()
    box = form_responses_box(request, customer) or {"customer": customer, "rows": []}
    return render(request, "customers/form_responses_box.html", {"box": box, "error": error, "done": done})


@require_POST
@org_permission("customers.change")
def form_response_accept(request, org_slug, pk, change_pk):
    return _decide(request, pk, change_pk, intake.pending_change_accept, "Answer accepted.")


@require_POST
@org_permission("customers.change")
def form_response_reject(request, org_slug, pk, change_pk):
    return _decide(request, pk, change_pk, intake.pending_change_reject, "Answer rejected.")
