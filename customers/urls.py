from django.urls import path

from customers import views
from families import views as family_views
from portal import staff_views as account_views

app_name = "customers"
urlpatterns = [
    path("", views.roster, name="roster"),
    path("new/", views.customer_create, name="create"),
    path("bulk/", views.bulk, name="bulk"),
    path("bulk/<int:pk>/", views.bulk_progress, name="bulk_progress"),
    path("export.<str:file_format>", views.export, name="export"),
    path("<int:pk>/", views.profile, name="profile"),
    path("<int:pk>/activity/", views.activity, name="activity"),
    path("<int:pk>/edit/", views.customer_edit, name="edit"),
    path("<int:pk>/archive/", views.customer_archive, name="archive"),
    path("<int:pk>/restore/", views.customer_restore, name="restore"),
    path("<int:pk>/delete/", views.customer_delete, name="delete"),
    path("<int:pk>/family/", family_views.family, name="family"),
    path("<int:pk>/invite/", account_views.invite, name="invite"),
    path("<int:pk>/invite/revoke/", account_views.invite_revoke, name="invite_revoke"),
    path("<int:pk>/portal/", account_views.view_as, name="view_as"),
]
