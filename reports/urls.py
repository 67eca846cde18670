"""Reports → Customers (namespace reports_customers)."""

from django.urls import path

from reports import views

app_name = "reports_customers"
urlpatterns = [path("", views.customers, name="report")]
