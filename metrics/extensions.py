"""What metrics add to the customers app: the profile's Metrics tab and the roster's Metric filter."""

from customers.filters import ROSTER_FILTERS
from customers.tabs import PROFILE_TABS, ProfileTab
from metrics.filters import metric_filters

PROFILE_TABS.insert(-1, ProfileTab("metrics", "Metrics", "profile_metrics:tab"))
ROSTER_FILTERS.append(metric_filters)
