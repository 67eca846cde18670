"""Billing's pages, mounted by config/urls.py: Settings → Packages (namespace package_settings) and the
profile's Payments tab (profile_payments), the Sales report (sales) and the customer portal's Payments page
(portal_payments, under /<org>/)."""

from django.urls import path

from billing import portal_views, report_views, views

settings_patterns = [
    path("", views.package_list, name="list"),
    path("new/", views.package_edit, name="create"),
    path("<int:pk>/", views.package_edit, name="edit"),
    path("<int:pk>/archive/", views.package_archive, name="archive"),
    path("<int:pk>/restore/", views.package_restore, name="restore"),
]

profile_patterns = [
    path("<int:pk>/payments/", views.payments_tab, name="tab"),
    path("<int:pk>/payments/sell/", views.sale, name="sell"),
    path("<int:pk>/payments/<int:payment_pk>/refund/", views.refund, name="refund"),
]

report_patterns = [path("", report_views.sales, name="report")]

portal_patterns = [path("account/payments/", portal_views.payments, name="payments")]
