"""The profile's Notes tab, mounted under /app/<org>/customers/ by config/urls.py (namespace
profile_notes)."""

from django.urls import path

from notes import views

profile_patterns = [
    path("<int:pk>/notes/", views.notes_tab, name="tab"),
    path("<int:pk>/notes/add/", views.note_add, name="add"),
    path("<int:pk>/notes/<int:note_pk>/edit/", views.note_edit, name="edit"),
    path("<int:pk>/notes/<int:note_pk>/pin/", views.note_pin, name="pin"),
    path("<int:pk>/notes/<int:note_pk>/delete/", views.note_delete, name="delete"),
    path("<int:pk>/notes/<int:note_pk>/restore/", views.note_restore, name="restore"),
    path("<int:pk>/notes/<int:note_pk>/history/", views.note_history, name="history"),
]
