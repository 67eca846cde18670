import copy

from django.contrib import messages
from django.core.paginator import Paginator
from django.db import IntegrityError
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST
from django_htmx.http import HttpResponseClientRedirect

from accounts.permissions import has_permission, org_permission
from customers import duplicate_services, services
from customers.duplicates import possible_duplicates
from customers.exports import export_response
from customers.extend import (
    ActivityKinds,
    ArchiveWarning,
    BulkAction,
    BulkActionError,
    ProfileBox,
    ProfileTab,
    find,
    page_reads,
    registered,
)
from customers.fields import customer_fields, grouped
from customers.filters import LETTERS
from customers.forms import CustomerForm
from customers.models import BulkOperation, Customer
from customers.plain_widgets import panel_fields
from customers.search import SearchPage, capped_count, capped_match_count, plan, search_page
from customers.segments import segments_for
from customers.selectors import (
    ROSTER_ORDER,
    birthday_banner,
    get_customer_for_org,
    matching_queryset,
    roster_queryset,
    search_sources,
    selected_customers,
    visible_events,
    with_change_rows,
)
from customers.tables import ROW_FIELDS, first_page_links, roster_table, sort_order

PAGE_SIZES = (25, 50, 100)


def _positive_int(value, default: int) -> int:
    return int(value) if value and value.isdigit() and int(value) > 0 else default


@org_permission("customers.view")
@page_reads()  # among its reads the custom fields, once for the panel, the search and the columns
def roster(request, org_slug):
    audience = request.membership.role
    # Search, filters, A–Z, sorting and paging all swap #results only; anything else gets the whole page.
    results_only = request.htmx.target == "results"
    customer_filter, queryset = roster_queryset(request.GET, audience, panel=not results_only)
    queryset = queryset.only(*ROW_FIELDS)
    query = request.GET.get("q", "").strip()[:100]
    page_size = _positive_int(request.GET.get("size"), 25)
    page_size = page_size if page_size in PAGE_SIZES else 25
    page_number = _positive_int(request.GET.get("page"), 1)
    offset = (page_number - 1) * page_size
    sort = request.GET.get("sort", "")
    ordering = sort_order(sort)

    if query and not ordering:
        page = search_page(
            queryset, query, offset=offset, limit=page_size, sources=search_sources(request.membership)
        )
    else:
        if query:
            search = plan(query, search_sources(request.membership))
            total, capped = capped_match_count(queryset, search)
            queryset = queryset.filter(search.condition)
        else:
            total, capped = capped_count(queryset)
        rows = list(queryset.order_by(*(ordering or ROSTER_ORDER))[offset : offset + page_size + 1])
        page = SearchPage(rows[:page_size], total, capped, len(rows) > page_size)

    table = roster_table(page.rows, request.membership, request.GET, org_slug=request.org.slug)
    context = {
        "filter": customer_filter,
        "panel_fields": "" if results_only else panel_fields(customer_filter),
        "letter": request.GET.get("letter", "").lower(),
        "letter_links": _letter_links(request.GET),
        "table": table,
        "page": page,
        "query": query,
        "page_number": page_number,
        "page_size": page_size,
        "page_sizes": PAGE_SIZES,
        "first_row": offset + 1,
        "last_row": offset + len(page.rows),
        "roster_is_empty": not page.rows and not Customer.objects.exists(),
        "bulk_operation": _bulk_operation(request),
        "bulk_actions": [] if results_only else _bulk_actions(request.membership),
        "segment": _open_segment(request),
    }
    template = "customers/roster.html#results" if results_only else "customers/roster.html"
    return render(request, template, context)


def _letter_links(params) -> list[tuple[str, str, str]]:
    """The A–Z bar's (letter, label, href), "All" first: the roster's query with that letter."""
    choices = [("", "All"), *LETTERS]
    hrefs = first_page_links(params, "letter", [value for value, _ in choices])
    return [(value, label, href) for (value, label), href in zip(choices, hrefs, strict=True)]


def _bulk_actions(membership) -> list:
    """The bulk bar's actions with their controls' context (a choice list each: a query). Only a full page
    draws them: a fragment leaves them as they are in the page (hx-preserve in roster.html)."""
    return [
        (action, action.control_context())
        for action in registered(BulkAction)
        if has_permission(membership, action.permission)
    ]


def _open_segment(request):
    segment_id = _positive_int(request.GET.get("segment"), 0)
    return segments_for(request.membership).filter(pk=segment_id).first() if segment_id else None


def _bulk_operation(request):
    operation_id = _positive_int(request.GET.get("bulk"), 0)
    return (
        BulkOperation.objects.defer("customer_ids").filter(pk=operation_id).first() if operation_id else None
    )


@org_permission("customers.change")
def customer_create(request, org_slug):
    form = CustomerForm(request.POST or None, audience=request.membership.role)
    duplicates = []
    if form.is_valid():
        if "save_anyway" not in request.POST:
            duplicates = possible_duplicates(data=form.cleaned_data)
        if not duplicates:
            try:
                customer = services.customer_create(data=form.cleaned_data, by=request.user)
            except IntegrityError:
                form.add_error(
                    None, "Another customer was just saved with this email or number; check and retry."
                )
            else:
                # Saved anyway: the pair waits in Settings → Duplicates for someone to decide.
                duplicate_services.duplicates_flag(customer=customer)
                messages.success(request, f"{customer.full_name} added.")
                return redirect("customers:profile", org_slug=org_slug, pk=customer.pk)
    return render(request, "customers/customer_form.html", {"form": form, "duplicates": duplicates})


@page_reads()
def render_profile(request, customer: Customer, tab: str, context: dict):
    """The profile page with tab `tab` open (its ProfileTab's template drawn with `context`), or for htmx only
    the tab area, or only the tab's content when a tab link asks (the strip and the boxes above it stay). Each
    app's tab view ends here."""
    context = {"customer": customer, "tab": tab, "tab_template": find(ProfileTab, tab).template, **context}
    if request.htmx.target == "profile-panel":
        return render(request, "customers/profile.html#panel", context)
    tabs = [item for item in registered(ProfileTab) if has_permission(request.membership, item.permission)]
    context = {
        "tabs": [(item, item.count(request, customer) if item.count else None) for item in tabs],
        "boxes": [
            (box.place, box.template, box.context(request, customer))
            for box in registered(ProfileBox)
            # htmx swaps only the tab area, which shows the boxes above the tabs, not those beside them.
            if has_permission(request.membership, box.permission) and (box.place == "top" or not request.htmx)
        ],
        "birthday_banner": birthday_banner(customer.birthday, timezone.localdate()),
        **context,
    }
    template = "customers/profile.html#tab" if request.htmx else "customers/profile.html"
    return render(request, template, context)


@org_permission("customers.view")
@page_reads()  # the custom fields read once for the Info tab and the boxes
def profile(request, org_slug, pk):
    customer = get_customer_for_org(pk)
    fields = [(field, field.display(customer)) for field in customer_fields(request.membership.role)]
    return render_profile(
        request, customer, "info", {"field_groups": grouped(fields, lambda item: item[0].group)}
    )


@org_permission("customers.view")
def activity(request, org_slug, pk):
    customer = get_customer_for_org(pk)
    events = visible_events(request, customer)
    kind = request.GET.get("kind", "")
    if group := find(ActivityKinds, kind):
        events = events.filter(kind__in=list(group.kinds))
    events = events.select_related("actor").order_by("-created_at", "-id")
    page = Paginator(events, 25).get_page(request.GET.get("page"))
    with_change_rows(page, request.membership.role)
    return render_profile(
        request,
        customer,
        "activity",
        {
            "events": page,
            "kind": kind,
            "kinds": [(group.key, group.label) for group in registered(ActivityKinds)],
        },
    )


@org_permission("customers.change")
def customer_edit(request, org_slug, pk):
    customer = get_customer_for_org(pk)
    # The form validates a copy, so the service still sees the values before the edit.
    form = CustomerForm(request.POST or None, instance=copy.copy(customer), audience=request.membership.role)
    if form.is_valid():
        try:
            changes = services.customer_update(customer=customer, data=form.cleaned_data, by=request.user)
        except IntegrityError:
            form.add_error(
                None, "Another customer was just saved with this email or number; check and retry."
            )
        else:
            messages.success(request, "Changes saved." if changes else "Nothing changed.")
            if changes:
                _warn_of_duplicates(request, customer)
            url = reverse("customers:profile", kwargs={"org_slug": org_slug, "pk": pk})
            return HttpResponseClientRedirect(url) if request.htmx else redirect(url)
    return render_profile(request, customer, "info", {"form": form, "editing": True})


def _warn_of_duplicates(request, customer: Customer) -> None:
    """After an edit: who the customer may now be a duplicate of, with the reasons (the pair is stored)."""
    if not duplicate_services.duplicates_flag(customer=customer):
        return
    for duplicate in possible_duplicates(data=vars(customer), exclude_pk=customer.pk, limit=3):
        reasons = ", ".join(duplicate.reasons)
        messages.warning(
            request,
            f"{customer.full_name} may be the same person as {duplicate.customer.full_name} ({reasons}).",
        )


@require_POST
@org_permission("customers.change")
def customer_archive(request, org_slug, pk):
    customer = get_customer_for_org(pk)
    warnings = [(item.template, item.context(customer)) for item in registered(ArchiveWarning)]
    warnings = [(template, warning) for template, warning in warnings if warning]
    if warnings and request.POST.get("confirmed") != "1":
        return render(request, "customers/archive_confirm.html", {"customer": customer, "warnings": warnings})
    services.customer_archive(customer=customer, by=request.user)
    messages.success(request, f"{customer.full_name} archived. They stay findable with the Archived filter.")
    return redirect("customers:profile", org_slug=org_slug, pk=pk)


@require_POST
@org_permission("customers.change")
def customer_restore(request, org_slug, pk):
    customer = get_customer_for_org(pk)
    services.customer_restore(customer=customer, by=request.user)
    messages.success(request, f"{customer.full_name} restored.")
    return redirect("customers:profile", org_slug=org_slug, pk=pk)


@org_permission("customers.delete")
def customer_delete(request, org_slug, pk):
    customer = get_customer_for_org(pk)
    if request.method == "POST":
        name = customer.full_name
        services.customer_delete(customer=customer, by=request.user)
        messages.success(request, f"{name} deleted.")
        return redirect("customers:roster", org_slug=org_slug)
    return render(request, "customers/delete_confirm.html", {"customer": customer})


@require_POST
@org_permission("customers.change")
def bulk(request, org_slug):
    action = find(BulkAction, request.POST.get("action", ""))
    back = reverse("customers:roster", kwargs={"org_slug": org_slug}) + "?" + request.POST.get("query", "")
    if action is None or not has_permission(request.membership, action.permission):
        messages.error(request, "Choose an action.")
        return redirect(back)
    try:
        params = action.params(request.POST) if action.params else {}
    except BulkActionError as error:
        messages.error(request, str(error))
        return redirect(back)
    customer_ids = list(selected_customers(request.POST, request.membership).values_list("pk", flat=True))
    if not customer_ids:
        messages.error(request, "Select customers first.")
        return redirect(back)
    if action.run_now and len(customer_ids) <= services.BULK_INLINE_LIMIT:
        for level, text in action.run_now(customer_ids=customer_ids, by=request.user, params=params):
            messages.add_message(request, level, text)
        return redirect(back)
    result = services.customers_bulk(
        action=action.key, customer_ids=customer_ids, by=request.user, params=params
    )
    if isinstance(result, BulkOperation):
        return redirect(f"{back}&bulk={result.pk}")
    what = action.describe(params)
    messages.success(request, f"{result} customer{'s' if result != 1 else ''} {action.done}{what}.")
    return redirect(back)


@org_permission("customers.change")
def bulk_progress(request, org_slug, pk):
    operation = get_object_or_404(BulkOperation.objects.defer("customer_ids"), pk=pk)
    response = render(request, "customers/roster.html#bulk_progress", {"bulk_operation": operation})
    if operation.finished_at:
        response.status_code = 286  # htmx: stop polling
    return response


@org_permission("customers.export")
def export(request, org_slug, file_format):
    queryset = (
        selected_customers(request.POST, request.membership)
        if request.method == "POST"
        else matching_queryset(request.GET, request.membership)
    )
    # On unless the form's box is unticked: the box posts "1" after a hidden "0"; a plain link sends neither.
    choice = (request.POST if request.method == "POST" else request.GET).getlist("leave_out_do_not_solicit")
    return export_response(
        request.org,
        queryset.order_by(*ROSTER_ORDER),
        file_format,
        membership=request.membership,
        leave_out_do_not_solicit=not choice or choice[-1] == "1",
    )
