"""Reports (namespace reports): the home every registered report's tab sits under."""

from django.urls import path

from customers import report_views

app_name = "reports"
urlpatterns = [path("", report_views.home, name="home")]
