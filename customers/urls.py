from django.urls import path

from customers import intake_views, segments, views
from families import views as family_views
from notes import views as note_views
from portal import staff_views as account_views
from tags import views as tag_views

app_name = "customers"
urlpatterns = [
    path("", views.roster, name="roster"),
    path("new/", views.customer_create, name="create"),
    path("bulk/", views.bulk, name="bulk"),
    path("bulk/<int:pk>/", views.bulk_progress, name="bulk_progress"),
    path("export.<str:file_format>", views.export, name="export"),
    path("segments/", segments.segment_list, name="segments"),
    path("segments/save/", segments.segment_save, name="segment_save"),
    path("segments/<int:pk>/count/", segments.segment_count, name="segment_count"),
    path("segments/<int:pk>/delete/", segments.segment_delete, name="segment_delete"),
    path("<int:pk>/", views.profile, name="profile"),
    path("<int:pk>/activity/", views.activity, name="activity"),
    path("<int:pk>/edit/", views.customer_edit, name="edit"),
    path("<int:pk>/archive/", views.customer_archive, name="archive"),
    path("<int:pk>/restore/", views.customer_restore, name="restore"),
    path("<int:pk>/delete/", views.customer_delete, name="delete"),
    path("<int:pk>/notes/", note_views.notes_tab, name="notes"),
    path("<int:pk>/notes/add/", note_views.note_add, name="note_add"),
    path("<int:pk>/notes/<int:note_pk>/edit/", note_views.note_edit, name="note_edit"),
    path("<int:pk>/notes/<int:note_pk>/pin/", note_views.note_pin, name="note_pin"),
    path("<int:pk>/notes/<int:note_pk>/delete/", note_views.note_delete, name="note_delete"),
    path("<int:pk>/notes/<int:note_pk>/restore/", note_views.note_restore, name="note_restore"),
    path("<int:pk>/notes/<int:note_pk>/history/", note_views.note_history, name="note_history"),
    path("<int:pk>/tags/add/", tag_views.customer_tag_add, name="tag_add"),
    path("<int:pk>/tags/<int:tag_pk>/remove/", tag_views.customer_tag_remove, name="tag_remove"),
    path("<int:pk>/tags/suggest/", tag_views.tag_suggest, name="tag_suggest"),
    path(
        "<int:pk>/form-responses/<int:change_pk>/accept/",
        intake_views.form_response_accept,
        name="form_response_accept",
    ),
    path(
        "<int:pk>/form-responses/<int:change_pk>/reject/",
        intake_views.form_response_reject,
        name="form_response_reject",
    ),
    path("<int:pk>/family/", family_views.family, name="family"),
    path("<int:pk>/invite/", account_views.invite, name="invite"),
    path("<int:pk>/invite/revoke/", account_views.invite_revoke, name="invite_revoke"),
    path("<int:pk>/portal/", account_views.view_as, name="view_as"),
]
