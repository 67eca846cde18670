"""Settings → Duplicates: the pairs the finder stored, best first, filtered by level and reason; *Scan now*
(in the worker, with progress), *Not a duplicate* (htmx) and *Merge…*."""

from django.core.paginator import Paginator
from django.db.models import Q
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from accounts.permissions import has_permission, org_permission
from customers import duplicate_services
from customers.duplicates import LIKELY, POSSIBLE, reason_labels
from customers.models import DuplicatePair, DuplicateScan, DuplicateStatus

LEVELS = {"likely": (LIKELY, 100), "possible": (POSSIBLE, LIKELY - 1)}


def merge_url(org_slug: str, pair: DuplicatePair) -> str:
    kwargs = {"org_slug": org_slug, "pk": pair.customer_a_id, "other_pk": pair.customer_b_id}
    return reverse("customers:merge", kwargs=kwargs)


def profile_box(request, customer) -> dict | None:
    """The profile's top box when an open pair with this customer scores 80+: one query, and one for the other
    customer when there is such a pair (most profiles have none)."""
    pair = open_pairs().filter(Q(customer_a=customer) | Q(customer_b=customer), score__gte=LIKELY).first()
    if pair is None:
        return None
    labels = reason_labels()
    return {
        "pair": pair,
        "other": pair.customer_b if pair.customer_a_id == customer.pk else pair.customer_a,
        "reasons": [labels.get(key, key) for key in pair.reasons],
        "may_review": has_permission(request.membership, "customers.merge"),
    }


def open_pairs():
    """Open pairs of customers both still on the roster (not archived), best first."""
    return DuplicatePair.objects.filter(
        status=DuplicateStatus.OPEN, customer_a__archived_at=None, customer_b__archived_at=None
    ).order_by("-score", "id")


@org_permission("customers.merge")
def duplicates(request, org_slug):
    # The scan first: its pairs commit before it is marked finished, so a scan read as finished has its pairs
    # in the list read after it.
    scan = DuplicateScan.objects.order_by("-started_at").first()
    labels = reason_labels()
    level = request.GET.get("level", "")
    reason = request.GET.get("reason", "")
    pairs = open_pairs()
    if level in LEVELS:
        low, high = LEVELS[level]
        pairs = pairs.filter(score__gte=low, score__lte=high)
    if reason in labels:
        pairs = pairs.filter(reasons__contains=[reason])
    if (pair_id := request.GET.get("pair", "")).isdigit():  # the profile's Review link
        pairs = pairs.filter(pk=int(pair_id))
    page = Paginator(pairs.select_related("customer_a", "customer_b"), 25).get_page(request.GET.get("page"))
    for pair in page:
        pair.reason_labels = [labels.get(key, key) for key in pair.reasons]
        pair.merge_url = merge_url(org_slug, pair)
    context = {
        "page": page,
        "level": level,
        "reason": reason,
        "reasons": sorted(labels.items(), key=lambda item: item[1]),
        "scan": scan,
        "query": request.GET.urlencode(),
    }
    return render(request, "customers/duplicates.html", context)


@require_POST
@org_permission("customers.merge")
def duplicates_scan(request, org_slug):
    duplicate_services.duplicates_scan_start(by=request.user)
    return redirect("customer_settings:duplicates", org_slug=org_slug)


@org_permission("customers.merge")
def duplicates_scan_progress(request, org_slug, pk):
    scan = get_object_or_404(DuplicateScan, pk=pk)
    response = render(request, "customers/duplicates.html#scan_status", {"scan": scan})
    if scan.finished_at:
        response["HX-Refresh"] = "true"  # the page again, with the pairs found
    return response


@require_POST
@org_permission("customers.merge")
def duplicate_not_duplicate(request, org_slug, pk):
    pair = get_object_or_404(DuplicatePair.objects.select_related("customer_a", "customer_b"), pk=pk)
    duplicate_services.duplicate_mark_not_duplicate(pair=pair, by=request.user)
    if request.htmx:
        return render(request, "customers/duplicates.html#decided", {"pair": pair})
    return redirect(reverse("customer_settings:duplicates", kwargs={"org_slug": org_slug}))
