from django.urls import path

from tags import views

app_name = "tag_settings"
urlpatterns = [
    path("", views.tag_list, name="list"),
    path("<int:pk>/", views.tag_edit, name="edit"),
    path("<int:pk>/merge/", views.tag_merge, name="merge"),
    path("<int:pk>/delete/", views.tag_delete, name="delete"),
]

# The profile's Tags box, mounted under /app/<org>/customers/ by config/urls.py (namespace profile_tags).
profile_patterns = [
    path("<int:pk>/tags/add/", views.customer_tag_add, name="add"),
    path("<int:pk>/tags/<int:tag_pk>/remove/", views.customer_tag_remove, name="remove"),
    path("<int:pk>/tags/suggest/", views.tag_suggest, name="suggest"),
]
