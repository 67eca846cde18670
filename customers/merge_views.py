"""Merging customers: pick the other customer, the side-by-side preview with a choice per field, the merge
itself, recent merges and their undo."""

from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect, render

from accounts.permissions import org_permission
from customers import merge_services
from customers.merge import added_since, merge_preview
from customers.models import Customer, Merge
from customers.search import search_page
from customers.selectors import get_customer_for_org, search_sources

OTHER = {"a": "b", "b": "a"}


@org_permission("customers.merge")
def merge_pick(request, org_slug, pk):
    """Find the customer to merge with this one, with the roster's search."""
    customer = get_customer_for_org(pk)
    query = request.GET.get("q", "").strip()[:100]
    found = []
    if query:
        others = Customer.objects.exclude(pk=customer.pk)
        found = search_page(
            others, query, offset=0, limit=10, sources=search_sources(request.membership)
        ).rows
    template = "customers/merge_pick.html#results" if request.htmx else "customers/merge_pick.html"
    return render(request, template, {"customer": customer, "query": query, "found": found})


@org_permission("customers.merge")
def merge(request, org_slug, pk, other_pk):
    """GET: the two side by side. POST: merge them as chosen (which one is kept, each field, the login)."""
    a, b = get_customer_for_org(pk), get_customer_for_org(other_pk)
    preview = merge_preview(a=a, b=b, audience=request.membership.role)
    errors = []
    if request.method == "POST":
        keep = request.POST["keep"] if request.POST.get("keep") in OTHER else "a"
        sides = {keep: "survivor", OTHER[keep]: "merged"}
        choices = {
            item.name: sides[request.POST[f"field_{item.name}"]]
            for item, *_ in preview.rows
            if request.POST.get(f"field_{item.name}") in sides
        }
        customers = {"a": a, "b": b}
        try:
            done = merge_services.customers_merge(
                survivor=customers[keep],
                merged=customers[OTHER[keep]],
                choices=choices,
                login=sides.get(request.POST.get("login", ""), ""),
                by=request.user,
            )
        except merge_services.MergeRefused as refused:
            errors = refused.reasons
        else:
            messages.success(
                request,
                f"{done.merged_label} was merged into {done.survivor_label}. "
                "You can undo it for 30 days from the Activity Log or Recent merges.",
            )
            return redirect("customers:profile", org_slug=org_slug, pk=done.survivor_id)
    return render(
        request, "customers/merge.html", {"preview": preview, "errors": errors, "posted": request.POST}
    )


@org_permission("customers.merge")
def merges(request, org_slug):
    """The latest merges, newest first, each with its undo while it may be undone."""
    recent = Merge.objects.select_related("by", "undone_by").order_by("-created_at", "-id")[:50]
    return render(request, "customers/merges.html", {"merges": recent})


@org_permission("customers.merge")
def merge_undo(request, org_slug, merge_pk):
    """GET: what an undo puts back and what stays with the survivor. POST: undo it."""
    record = get_object_or_404(Merge, pk=merge_pk)
    errors = []
    if request.method == "POST":
        try:
            merge_services.merge_undo(merge=record, by=request.user)
        except merge_services.MergeRefused as refused:
            errors = refused.reasons
        else:
            messages.success(request, f"Merge undone: {record.merged_label} is back on the roster.")
            return redirect("customers:profile", org_slug=org_slug, pk=record.merged_id)
    context = {"merge": record, "errors": errors, "added": added_since(record) if record.undoable else []}
    return render(request, "customers/merge_undo.html", context)
