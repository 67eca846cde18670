"""What metrics add to the customers app: the profile's Metrics tab, the roster's Metric filter and their
events in the Activity Log."""

from accounts.audit import register_audit_actions
from accounts.navigation import Page, register_settings_page
from customers.extend import (
    ActivityKinds,
    MergeHandler,
    PersonData,
    PersonErasure,
    ProfileTab,
    Report,
    RosterFilters,
    register,
)
from metrics import privacy
from metrics.filters import metric_filters
from metrics.merging import metrics_move, metrics_undo
from metrics.models import MetricAudit, MetricEvent
from metrics.report_views import metric_tables

register(
    ProfileTab("metrics", "Metrics", "profile_metrics:tab", "metrics/tab.html", order=30),
    RosterFilters("metrics", metric_filters, order=30, names=("metric",)),
    ActivityKinds("metrics", "Metrics", dict(MetricEvent.choices), order=30),
    Report("metrics", "Metrics", "metrics:list", 30, metric_tables, controls=()),
)
register_audit_actions(MetricAudit)
register_settings_page(Page("metrics", "Metrics", "metric_settings:list", 20, "settings.change"))
register(
    MergeHandler(
        "metrics",
        "Metric values",
        (("metrics.MetricEntry", "customer"),),
        order=130,
        move=metrics_move,
        undo=metrics_undo,
    ),
    PersonData(
        "metrics",
        "Metrics",
        privacy.metric_rows,
        order=32,
        describe="Every value recorded, corrections included.",
    ),
    PersonErasure(
        "metrics", "Metrics", privacy.metrics_erase, order=32, covers=("metrics.MetricEntry.customer",)
    ),
)
