from django.urls import path

from families import views

app_name = "families"
urlpatterns = [
    path("", views.index, name="index"),
    path("people/<int:pk>/add/", views.person_add, name="person_add"),
    path("people/<int:pk>/search/", views.person_search, name="person_search"),
    path("people/<int:pk>/affiliations/add/", views.affiliation_add, name="affiliation_add"),
    path("links/<int:pk>/", views.link_edit, name="link_edit"),
    path("links/<int:pk>/remove/", views.link_remove, name="link_remove"),
    path("affiliations/<int:pk>/remove/", views.affiliation_remove, name="affiliation_remove"),
    path("organizations/", views.organizations, name="organizations"),
    path("organizations/new/", views.organization_create, name="organization_create"),
    path("organizations/<int:pk>/", views.organization, name="organization"),
]

# A profile's family view, mounted under /app/<org>/customers/ by config/urls.py (namespace profile_family).
profile_patterns = [path("<int:pk>/family/", views.family, name="family")]
