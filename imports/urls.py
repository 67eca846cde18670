from django.urls import path

from imports import views

app_name = "imports"
urlpatterns = [
    path("", views.index, name="index"),
    path("report/", views.report, name="report"),
    path("<int:pk>/", views.job, name="job"),
    path("<int:pk>/progress/", views.progress, name="progress"),
    path("<int:pk>/run/", views.start, name="start"),
    path("<int:pk>/cancel/", views.cancel, name="cancel"),
    path("<int:pk>/undo/", views.undo, name="undo"),
    path("<int:pk>/delete/", views.delete, name="delete"),
    path("<int:pk>/errors.csv", views.errors_csv, name="errors_csv"),
]

# Reports → Imports (namespace reports_imports, mounted under /reports/imports/).
report_patterns = [path("", views.import_report, name="report")]
