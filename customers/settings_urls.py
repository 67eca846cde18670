from django.urls import path

from customers import settings_views

app_name = "customer_settings"
urlpatterns = [path("required-fields/", settings_views.required_fields, name="required_fields")]
