"""The portal as staff see it, mounted on a profile by config/urls.py (namespace profile_portal)."""

from django.urls import path

from portal import staff_views

profile_patterns = [path("<int:pk>/portal/", staff_views.view_as, name="view_as")]
