from django.urls import path

from customers import merge_views, segment_views, views

app_name = "customers"
urlpatterns = [
    path("", views.roster, name="roster"),
    path("new/", views.customer_create, name="create"),
    path("bulk/", views.bulk, name="bulk"),
    path("bulk/<int:pk>/", views.bulk_progress, name="bulk_progress"),
    path("export.<str:file_format>", views.export, name="export"),
    path("segments/", segment_views.segment_list, name="segments"),
    path("segments/save/", segment_views.segment_save, name="segment_save"),
    path("segments/<int:pk>/count/", segment_views.segment_count, name="segment_count"),
    path("segments/<int:pk>/delete/", segment_views.segment_delete, name="segment_delete"),
    path("merges/", merge_views.merges, name="merges"),
    path("merges/<int:merge_pk>/undo/", merge_views.merge_undo, name="merge_undo"),
    path("<int:pk>/", views.profile, name="profile"),
    path("<int:pk>/merge/", merge_views.merge_pick, name="merge_pick"),
    path("<int:pk>/merge/<int:other_pk>/", merge_views.merge, name="merge"),
    path("<int:pk>/activity/", views.activity, name="activity"),
    path("<int:pk>/edit/", views.customer_edit, name="edit"),
    path("<int:pk>/archive/", views.customer_archive, name="archive"),
    path("<int:pk>/restore/", views.customer_restore, name="restore"),
    path("<int:pk>/delete/", views.customer_delete, name="delete"),
]
