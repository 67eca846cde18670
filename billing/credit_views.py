"""The profile's Credit tab: the customer's balance and the history of their credit ledger, a form to issue
credit (staff who take payments) and the correction of a line (those who refund)."""

from django.contrib import messages
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect
from django.views.decorators.http import require_POST

from accounts.permissions import has_permission, org_permission
from billing import credit_services
from billing.credit import CreditError, balance_of, corrected_among, credit_history
from billing.forms import CreditCorrectForm, CreditIssueForm
from billing.models import CreditEntry
from customers.models import Customer
from customers.selectors import get_customer_for_org
from customers.views import render_profile

LINES_PER_PAGE = 25


def _credit_tab(request, customer: Customer, *, issue_form=None, correction=None, status: int = 200):
    if issue_form is None and has_permission(request.membership, "payments.take"):
        issue_form = CreditIssueForm(currency=request.org.currency)
    lines = Paginator(credit_history(customer), LINES_PER_PAGE).get_page(request.GET.get("page"))
    context = {
        "lines": lines,
        "balance": balance_of(customer),
        "corrected": corrected_among(lines),
        "issue_form": issue_form,
        "correction": correction,
        "may_correct": has_permission(request.membership, "payments.refund"),
    }
    response = render_profile(request, customer, "credit", context)
    response.status_code = status
    return response


@org_permission("customers.view")
def credit_tab(request, org_slug, pk):
    return _credit_tab(request, get_customer_for_org(pk))


@require_POST
@org_permission("payments.take")
def credit_issue(request, org_slug, pk):
    customer = get_customer_for_org(pk)
    form = CreditIssueForm(request.POST, currency=request.org.currency)
    if form.is_valid():
        try:
            line = credit_services.credit_issue(customer=customer, by=request.user, **form.cleaned_data)
        except CreditError as refusal:
            form.add_error(None, str(refusal))
        else:
            messages.success(request, f"{line.amount_display} of credit issued to {customer.full_name}.")
            return redirect("profile_payments:credit", org_slug=org_slug, pk=customer.pk)
    return _credit_tab(request, customer, issue_form=form, status=422)


@org_permission("payments.refund")
def credit_correct(request, org_slug, pk, entry_pk):
    customer = get_customer_for_org(pk)
    entry = get_object_or_404(CreditEntry, pk=entry_pk, customer=customer)
    form = CreditCorrectForm(request.POST or None)
    if form.is_valid():
        try:
            credit_services.credit_correct(entry=entry, reason=form.cleaned_data["reason"], by=request.user)
        except CreditError as refusal:
            form.add_error(None, str(refusal))
        else:
            messages.success(request, f"The {entry.get_kind_display().lower()} line is reversed.")
            return redirect("profile_payments:credit", org_slug=org_slug, pk=customer.pk)
    status = 422 if request.method == "POST" else 200
    return _credit_tab(request, customer, correction=(entry, form), status=status)
