"""The family view's Payments section: every payment made by or for anyone in the household, newest first, a
page at a time, with the household's total. Three queries whatever the household's size: the total, the
page's count and the page."""

from django.core.paginator import Paginator
from django.db.models import Count, Q, Sum

from billing.models import Payment

PAGE_SIZE = 20


def family_payments(request, household) -> dict:
    people = list(household.people)
    payments = Payment.objects.filter(Q(purchase__payer_id__in=people) | Q(purchase__customer_id__in=people))
    totals = payments.aggregate(
        count=Count("id"), paid=Sum("amount", default=0), refunded=Sum("refunded", default=0)
    )
    newest_first = payments.select_related("purchase__package").order_by("-created_at", "-id")
    page = Paginator(newest_first, PAGE_SIZE).get_page(request.GET.get("payments_page"))
    return {"page": page, "totals": totals, "kept": totals["paid"] - totals["refunded"]}
