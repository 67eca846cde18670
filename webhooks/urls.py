from django.urls import path

from webhooks import views

app_name = "webhooks"
urlpatterns = [
    path("", views.endpoint_list, name="list"),
    path("<int:pk>/", views.endpoint_detail, name="detail"),
    path("<int:pk>/test/", views.endpoint_ping, name="ping"),
    path("<int:pk>/rotate/", views.endpoint_rotate, name="rotate"),
    path("<int:pk>/delete/", views.endpoint_delete, name="delete"),
    path("<int:pk>/deliveries/<int:delivery_pk>/resend/", views.delivery_resend, name="resend"),
]
