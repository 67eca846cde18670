from django.urls import path

from tags import views

app_name = "tag_settings"
urlpatterns = [
    path("", views.tag_list, name="list"),
    path("<int:pk>/", views.tag_edit, name="edit"),
    path("<int:pk>/merge/", views.tag_merge, name="merge"),
    path("<int:pk>/delete/", views.tag_delete, name="delete"),
]
