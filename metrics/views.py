"""The profile's Metrics tab: each active metric's current value, trend, chart and history; recording and
correcting values (HTMX swaps the tab; without JavaScript the same forms post and redirect)."""

from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect
from django.views.decorators.http import require_POST

from accounts.permissions import has_permission, org_permission
from customers.models import Customer
from customers.selectors import get_customer_for_org
from customers.views import render_profile
from metrics import services
from metrics.forms import CorrectionForm, EntryForm
from metrics.models import MetricEntry
from metrics.selectors import active_metrics, customer_series


def _tab(request, customer: Customer, *, form=None, correction=None, notice: str = "", tone: str = "success"):
    metrics = list(active_metrics())
    may_record = has_permission(request.membership, "customers.change")
    if form is None and may_record and correction is None:
        # One metric: chosen already. More: the one asked for (?metric=) or none.
        chosen = metrics[0].pk if len(metrics) == 1 else request.GET.get("metric")
        form = EntryForm(metrics=active_metrics(), initial={"metric": chosen})
    context = {
        "series": customer_series(customer, metrics),
        "entry_form": form,
        "correction": correction,
        "may_record": may_record,
        "notice": notice,
        "notice_tone": tone,
    }
    return render_profile(request, customer, "metrics", context)


def _done(request, customer: Customer, notice: str):
    if request.htmx:
        return _tab(request, customer, notice=notice)
    messages.success(request, notice)
    return redirect("profile_metrics:tab", org_slug=request.org.slug, pk=customer.pk)


@org_permission("customers.view")
def tab(request, org_slug, pk):
    return _tab(request, get_customer_for_org(pk))


@require_POST
@org_permission("customers.change")
def record(request, org_slug, pk):
    customer = get_customer_for_org(pk)
    form = EntryForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            entry = services.entry_record(
                customer=customer,
                metric=data["metric"],
                value=data["value"],
                recorded_on=data["recorded_on"],
                comment=data["comment"],
                by=request.user,
            )
        except services.MetricError as error:
            form.add_error("metric", str(error))
        else:
            return _done(
                request, customer, f"{entry.metric.name}: {entry.metric.format(entry.value)} recorded."
            )
    return _tab(request, customer, form=form)


@org_permission("customers.change")
def correct(request, org_slug, pk):
    """GET: the correction form for an entry, in the tab; POST: record the correction."""
    entry = get_object_or_404(MetricEntry.objects.select_related("customer", "metric"), pk=pk)
    customer = entry.customer
    form = CorrectionForm(request.POST or None, entry=entry)
    if entry.metric.is_archived or MetricEntry.objects.filter(supersedes=entry).exists():
        refusal = "This value can't be corrected: it was corrected already, or its metric is archived."
        if request.htmx:
            return _tab(request, customer, notice=refusal, tone="warning")
        messages.warning(request, refusal)
        return redirect("profile_metrics:tab", org_slug=org_slug, pk=customer.pk)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            correction = services.entry_correct(
                entry=entry,
                value=data["value"],
                recorded_on=data["recorded_on"],
                comment=data["comment"],
                by=request.user,
            )
        except services.MetricError as error:
            form.add_error(None, str(error))
        else:
            metric = entry.metric
            return _done(
                request,
                customer,
                f"{metric.name} corrected: {metric.format(entry.value)} → {metric.format(correction.value)}.",
            )
    return _tab(request, customer, correction=form)
