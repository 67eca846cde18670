"""Billing's pages, mounted by config/urls.py: Settings → Packages (namespace package_settings)."""

from django.urls import path

from billing import views

settings_patterns = [
    path("", views.package_list, name="list"),
    path("new/", views.package_edit, name="create"),
    path("<int:pk>/", views.package_edit, name="edit"),
    path("<int:pk>/archive/", views.package_archive, name="archive"),
    path("<int:pk>/restore/", views.package_restore, name="restore"),
]
