"""Three areas, three namespaces (so the main navigation marks the right section): Settings → Metrics,
the profile's Metrics tab, and Reports → Metrics."""

from django.urls import path

from metrics import report_views, settings_views, views

settings_patterns = [
    path("", settings_views.metric_list, name="list"),
    path("new/", settings_views.metric_edit, name="create"),
    path("<int:pk>/", settings_views.metric_edit, name="edit"),
    path("<int:pk>/archive/", settings_views.metric_archive, name="archive"),
    path("<int:pk>/restore/", settings_views.metric_restore, name="restore"),
]

profile_patterns = [
    path("<int:pk>/metrics/", views.tab, name="tab"),
    path("<int:pk>/metrics/record/", views.record, name="record"),
    path("metric-entries/<int:pk>/correct/", views.correct, name="correct"),
]

report_patterns = [
    path("", report_views.report_list, name="list"),
    path("<int:pk>/", report_views.report, name="report"),
    path("<int:pk>/distribution.csv", report_views.distribution_csv, name="distribution_csv"),
    path("<int:pk>/trend.csv", report_views.trend_csv, name="trend_csv"),
    path("<int:pk>/values.csv", report_views.values_csv, name="values_csv"),
]
