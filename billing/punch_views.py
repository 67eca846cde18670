"""Punch cards on the profile: the side box (billing/extensions.py) punches a visit; each card's page shows
its history, undoes a punch with a reason and extends the expiry."""

from django.contrib import messages
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from accounts.permissions import has_permission, org_permission
from billing import punch_services
from billing.forms import PunchCardExtendForm, PunchUndoForm
from billing.models import PunchCard
from billing.selectors import punch_card_with_history, punch_cards_of, punch_cards_today
from customers.models import Customer
from customers.selectors import get_customer_for_org


def punch_box(request, customer: Customer) -> dict:
    """The profile's Punch cards box: each card the customer holds, with its status today."""
    return {"customer": customer, "cards": punch_cards_today(punch_cards_of(customer))}


def _card_of(customer: Customer, card_pk: int) -> PunchCard:
    card = punch_card_with_history(customer, card_pk)
    if card is None:
        raise Http404("No such punch card.")
    return punch_cards_today([card])[0]


def _card_page(request, customer, card, *, undo=None, extend_form=None, status=200):
    may_correct = has_permission(request.membership, "payments.refund")
    context = {
        "customer": customer,
        "card": card,
        "may_punch": has_permission(request.membership, "payments.take"),
        "may_correct": may_correct,
        "undo": undo,
        "extend_form": extend_form
        or (PunchCardExtendForm(initial={"valid_until": card.valid_until}) if may_correct else None),
    }
    return render(request, "billing/punch_card.html", context, status=status)


@org_permission("customers.view")
def card(request, org_slug, pk, card_pk):
    customer = get_customer_for_org(pk)
    return _card_page(request, customer, _card_of(customer, card_pk))


@require_POST
@org_permission("payments.take")
def punch(request, org_slug, pk, card_pk):
    customer = get_customer_for_org(pk)
    card = _card_of(customer, card_pk)
    try:
        punch_services.punch_use(card=card, by=request.user)
    except punch_services.PunchError as refusal:
        messages.error(request, f"“{card.purchase.package.name}”: {refusal}")
    else:
        card.refresh_from_db(fields=["used"])
        messages.success(
            request,
            f"Visit punched on “{card.purchase.package.name}”: {card.remaining} of {card.visits} left.",
        )
    if request.POST.get("back") == "card":
        return redirect("profile_payments:punch_card", org_slug=org_slug, pk=customer.pk, card_pk=card.pk)
    return redirect("customers:profile", org_slug=org_slug, pk=customer.pk)


@require_POST
@org_permission("payments.refund")
def undo(request, org_slug, pk, card_pk, punch_pk):
    customer = get_customer_for_org(pk)
    card = _card_of(customer, card_pk)
    punch = get_object_or_404(card.punches.all(), pk=punch_pk)
    form = PunchUndoForm(request.POST)
    if form.is_valid():
        try:
            punch_services.punch_undo(punch=punch, reason=form.cleaned_data["reason"], by=request.user)
        except punch_services.PunchError as refusal:  # the punch's state, not the reason typed
            messages.error(request, str(refusal))
        else:
            messages.success(request, "Punch undone: the visit is back on the card.")
        return redirect("profile_payments:punch_card", org_slug=org_slug, pk=customer.pk, card_pk=card.pk)
    return _card_page(request, customer, card, undo=(punch.pk, form), status=422)


@require_POST
@org_permission("payments.refund")
def extend(request, org_slug, pk, card_pk):
    customer = get_customer_for_org(pk)
    card = _card_of(customer, card_pk)
    form = PunchCardExtendForm(request.POST)
    if form.is_valid():
        try:
            punch_services.punch_card_extend(
                card=card,
                valid_until=form.cleaned_data["valid_until"],
                reason=form.cleaned_data["reason"],
                by=request.user,
            )
        except punch_services.PunchError as refusal:
            form.add_error("valid_until", str(refusal))
        else:
            messages.success(request, "Expiry changed.")
            return redirect("profile_payments:punch_card", org_slug=org_slug, pk=customer.pk, card_pk=card.pk)
    return _card_page(request, customer, card, extend_form=form, status=422)
