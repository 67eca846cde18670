"""Settings → Metrics: what the business measures about its customers."""

from django.contrib import messages
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from accounts.permissions import org_permission
from metrics import services
from metrics.forms import MetricForm
from metrics.models import Metric
from metrics.selectors import customers_with_values, get_metric_for_org


@org_permission("settings.change")
def metric_list(request, org_slug):
    metrics = list(Metric.objects.order_by("position", "name"))
    counts = customers_with_values()
    for metric in metrics:
        metric.customer_count = counts.get(metric.pk, 0)
    context = {
        "active_metrics": [metric for metric in metrics if not metric.is_archived],
        "archived_metrics": [metric for metric in metrics if metric.is_archived],
    }
    return render(request, "metrics/settings.html", context)


@org_permission("settings.change")
def metric_edit(request, org_slug, pk=None):
    metric = get_metric_for_org(pk) if pk else Metric()
    form = MetricForm(request.POST or None, instance=metric, organization=request.org)
    if form.is_valid():
        metric = services.metric_save(metric=form.save(commit=False), by=request.user)
        messages.success(request, f"“{metric.name}” saved. Record values on a customer's Metrics tab.")
        return redirect("metric_settings:list", org_slug=org_slug)
    return render(request, "metrics/metric_form.html", {"form": form, "metric": metric})


@require_POST
@org_permission("settings.change")
def metric_archive(request, org_slug, pk):
    metric = get_metric_for_org(pk)
    services.metric_archive(metric=metric, by=request.user)
    messages.success(
        request, f"“{metric.name}” archived. Its history is kept; restore it to record and filter again."
    )
    return redirect("metric_settings:list", org_slug=org_slug)


@require_POST
@org_permission("settings.change")
def metric_restore(request, org_slug, pk):
    metric = get_metric_for_org(pk)
    services.metric_restore(metric=metric, by=request.user)
    messages.success(request, f"“{metric.name}” restored.")
    return redirect("metric_settings:list", org_slug=org_slug)
