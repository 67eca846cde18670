"""Reports → Scheduled (namespace reports_scheduled)."""

from django.urls import path

from reports import schedule_views

app_name = "reports_scheduled"
urlpatterns = [
    path("", schedule_views.scheduled_list, name="list"),
    path("new/", schedule_views.scheduled_new, name="new"),
    path("<int:pk>/", schedule_views.scheduled_edit, name="edit"),
    path("<int:pk>/pause/", schedule_views.scheduled_pause, name="pause"),
    path("<int:pk>/send/", schedule_views.scheduled_send, name="send"),
    path("<int:pk>/delete/", schedule_views.scheduled_delete, name="delete"),
]
