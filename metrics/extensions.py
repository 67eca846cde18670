"""What metrics add to the customers app: the profile's Metrics tab, the roster's Metric filter and their
events in the Activity Log."""

from accounts.audit import register_audit_actions
from accounts.navigation import Page, register_main_page, register_settings_page
from customers.extend import ActivityKinds, ProfileTab, RosterFilters, register
from metrics.filters import metric_filters
from metrics.models import MetricAudit, MetricEvent

register(
    ProfileTab("metrics", "Metrics", "profile_metrics:tab", "metrics/tab.html", order=30),
    RosterFilters("metrics", metric_filters, order=30),
    ActivityKinds("metrics", "Metrics", dict(MetricEvent.choices), order=30),
)
register_audit_actions(MetricAudit)
register_main_page(Page("reports", "Reports", "metrics:list", 30, "reports.view", ("metrics",)))
register_settings_page(Page("metrics", "Metrics", "metric_settings:list", 20, "settings.change"))
