"""Billing's pages, mounted by config/urls.py: Settings → Packages (namespace package_settings), Settings →
Payments (payment_settings), the profile's Payments, Loyalty and Credit tabs, punch card and external
subscription pages (profile_payments), the Sales report (sales), the Memberships report (memberships), the
customer portal's Payments page (portal_payments, under /<org>/) and Stripe's webhook endpoint."""

from django.urls import path

from billing import (
    account_views,
    credit_views,
    external_views,
    loyalty_views,
    portal_views,
    punch_views,
    report_views,
    store_views,
    subscription_views,
    views,
    webhooks,
)

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
    path("<int:pk>/loyalty/", loyalty_views.loyalty_tab, name="loyalty"),
    path("<int:pk>/credit/", credit_views.credit_tab, name="credit"),
    path("<int:pk>/credit/issue/", credit_views.credit_issue, name="credit_issue"),
    path("<int:pk>/credit/<int:entry_pk>/correct/", credit_views.credit_correct, name="credit_correct"),
    path("<int:pk>/loyalty/do-not-solicit/", loyalty_views.do_not_solicit, name="do_not_solicit"),
    path("<int:pk>/memberships/<int:subscription_pk>/", subscription_views.detail, name="subscription"),
    path(
        "<int:pk>/memberships/<int:subscription_pk>/pause/",
        subscription_views.pause,
        name="subscription_pause",
    ),
    path(
        "<int:pk>/memberships/<int:subscription_pk>/resume/",
        subscription_views.resume,
        name="subscription_resume",
    ),
    path(
        "<int:pk>/memberships/<int:subscription_pk>/cancel/",
        subscription_views.cancel,
        name="subscription_cancel",
    ),
    path(
        "<int:pk>/memberships/<int:subscription_pk>/card/", subscription_views.card, name="subscription_card"
    ),
    path("<int:pk>/punch-cards/<int:card_pk>/", punch_views.card, name="punch_card"),
    path("<int:pk>/punch-cards/<int:card_pk>/punch/", punch_views.punch, name="punch"),
    path("<int:pk>/punch-cards/<int:card_pk>/extend/", punch_views.extend, name="punch_card_extend"),
    path("<int:pk>/punch-cards/<int:card_pk>/<int:punch_pk>/undo/", punch_views.undo, name="punch_undo"),
    path("<int:pk>/external/new/", external_views.external_add, name="external_add"),
    path("<int:pk>/external/<int:external_pk>/", external_views.external_edit, name="external_edit"),
]

report_patterns = [path("", report_views.sales, name="report")]

# The Memberships report (namespace memberships): every source of memberships in one table.
membership_report_patterns = [path("", report_views.memberships, name="report")]

portal_patterns = [
    path("account/payments/", portal_views.payments, name="payments"),
    path("account/payments/stripe/", portal_views.stripe_portal, name="stripe_portal"),
    path("account/cards/", portal_views.cards, name="cards"),
    path("account/cards/add/", portal_views.card_add, name="card_add"),
    path("account/cards/<int:pk>/default/", portal_views.card_default, name="card_default"),
    path("account/cards/<int:pk>/remove/", portal_views.card_remove, name="card_remove"),
]

# Settings → Payments (namespace payment_settings): owners connect the organization's Stripe account.
payment_account_patterns = [
    path("", account_views.payment_account, name="account"),
    path("replace/", account_views.payment_account_replace, name="replace"),
    path("disconnect/", account_views.payment_account_disconnect, name="disconnect"),
]

# Where Stripe delivers the organization's events, outside the staff area (mounted at stripe/webhooks/).
webhook_patterns = [path("<slug:org_slug>/", webhooks.stripe_webhook, name="stripe_webhook")]

# The online store (namespace store), mounted at /<org>/store/ before the organization's other pages.
store_patterns = [
    path("", store_views.store, name="list"),
    path("<int:pk>/", store_views.package, name="package"),
    path("<int:pk>/buy/", store_views.buy, name="buy"),
    path("checkout/<int:pk>/", store_views.receipt, name="receipt"),
    path("checkout/<int:pk>/pay/", store_views.pay, name="pay"),
    path("checkout/<int:pk>/complete/", store_views.complete, name="complete"),
    path("cards/setup/", store_views.card_setup, name="card_setup"),
]
