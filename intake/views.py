"""Intake forms: the public form and its thanks page, Settings → Intake forms, and the profile's Form
responses box, where staff accept or reject answers that differ from what is on file."""

from django.contrib import messages
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from accounts.permissions import org_permission
from accounts.ratelimit import over_limit
from customers.selectors import get_customer_for_org
from intake import services
from intake.forms import IntakeCustomerForm, IntakeFormForm
from intake.models import IntakeForm, PendingChange
from intake.selectors import form_responses


def form_responses_box(request, customer) -> dict:
    """Empty when nothing waits, so the box (drawn above the tabs) is left out."""
    rows = form_responses(customer, request.membership.role)
    return {"customer": customer, "rows": rows} if rows else {}


def _decide(request, pk: int, change_pk: int, decide, done: str):
    customer = get_customer_for_org(pk)
    change = get_object_or_404(PendingChange, pk=change_pk, customer=customer)
    reviewable = {row["change"].pk for row in form_responses(customer, request.membership.role)}
    error = ""
    if change.pk not in reviewable and change.status == PendingChange.Status.PENDING:
        raise Http404("No such answer.")  # a field this role may not see or edit, as everywhere else
    try:
        decide(change=change, by=request.user)
    except services.ReviewError as refusal:
        error = str(refusal)
    if not request.htmx:
        messages.error(request, error) if error else messages.success(request, done)
        return redirect("customers:profile", org_slug=request.org.slug, pk=customer.pk)
    customer.refresh_from_db()
    box = form_responses_box(request, customer) or {"customer": customer, "rows": []}
    return render(request, "intake/form_responses_box.html", {"box": box, "error": error, "done": done})


@require_POST
@org_permission("customers.change")
def form_response_accept(request, org_slug, pk, change_pk):
    return _decide(request, pk, change_pk, services.pending_change_accept, "Answer accepted.")


@require_POST
@org_permission("customers.change")
def form_response_reject(request, org_slug, pk, change_pk):
    return _decide(request, pk, change_pk, services.pending_change_reject, "Answer rejected.")


@org_permission("settings.change")
def intake_forms(request, org_slug):
    forms = IntakeForm.objects.order_by("title")
    return render(request, "intake/forms.html", {"intake_forms": forms})


@org_permission("settings.change")
def intake_form_edit(request, org_slug, pk=None):
    intake = get_object_or_404(IntakeForm, pk=pk) if pk else IntakeForm(created_by=request.user)
    form = IntakeFormForm(request.POST or None, instance=intake)
    if form.is_valid():
        intake = services.intake_form_save(intake=form.save(commit=False), by=request.user)
        messages.success(request, f"“{intake.title}” saved. Share its link: it is live.")
        return redirect("intake_settings:forms", org_slug=org_slug)
    return render(request, "intake/form_form.html", {"form": form, "intake": intake})


INTAKE_LIMIT = 5  # submissions per visitor address and form every INTAKE_WINDOW seconds
INTAKE_WINDOW = 600


def public_form(request, org_slug, form_slug):
    intake = get_object_or_404(IntakeForm, slug=form_slug, is_open=True)
    form = IntakeCustomerForm(request.POST or None, intake=intake)
    if request.method == "POST":
        if over_limit(request, f"intake:{intake.pk}", limit=INTAKE_LIMIT, seconds=INTAKE_WINDOW):
            context = {"intake": intake, "form": form, "limited": True}
            return render(request, "intake/public_form.html", context, status=429)
        if form.is_valid():
            if not form.is_spam:  # a bot filled the honeypot: thank it and keep nothing
                data = {name: value for name, value in form.cleaned_data.items() if name != "website"}
                services.intake_submit(intake=intake, data=data)
            return redirect("intake:thanks", org_slug=org_slug, form_slug=form_slug)
    return render(request, "intake/public_form.html", {"intake": intake, "form": form})


def public_thanks(request, org_slug, form_slug):
    intake = get_object_or_404(IntakeForm, slug=form_slug)
    return render(request, "intake/public_thanks.html", {"intake": intake})
