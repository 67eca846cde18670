"""What billing adds to the rest of Roster, registered through the core's extension points: the Settings →
Packages and Settings → Payments tabs, the Sales and Memberships tabs of Reports, the profile's
Payments, Loyalty and Credit tabs, its Credit, Punch cards, Memberships and External subscriptions boxes and
past-due alert, the roster's purchase, credit, punch card and membership filters and past-due mark, the "Paid
in all" and "Credit balance" export columns, the portal's Payments page, the family view's Payments section,
its kinds of activity event and its audit actions."""

from accounts.audit import register_audit_actions
from accounts.money import format_minor
from accounts.navigation import Page, register_settings_page
from billing import privacy
from billing.credit import balance_of, balances_of
from billing.external_views import external_box
from billing.family import family_payments
from billing.filters import purchase_filters
from billing.merging import cards_count, cards_move, cards_warnings, credit_count, payments_count
from billing.models import (
    CreditAudit,
    CreditEvent,
    ExternalAudit,
    ExternalEvent,
    PackageAudit,
    PaymentAccountAudit,
    PaymentAudit,
    PaymentEvent,
    PunchAudit,
    PunchEvent,
    SubscriptionAudit,
    SubscriptionEvent,
)
from billing.punch_views import punch_box
from billing.report_views import membership_tables, sales_tables
from billing.selectors import net_paid, past_due_members
from billing.subscription_views import past_due_alert, subscriptions_box
from customers.extend import (
    ActivityKinds,
    ExportColumn,
    MergeHandler,
    PersonData,
    PersonErasure,
    ProfileBox,
    ProfileTab,
    Report,
    RosterFilters,
    RowMark,
    mark_badge,
    register,
)
from families.extend import FamilySection, register_family_section
from portal.navigation import PortalSection, register_portal_section

register_settings_page(Page("packages", "Packages", "package_settings:list", 15, "settings.change"))
register_audit_actions(PackageAudit)
register_audit_actions(PaymentAudit)
register_audit_actions(CreditAudit)
register_audit_actions(PunchAudit)
register_audit_actions(SubscriptionAudit)
register_audit_actions(ExternalAudit)


def _paid_in_all(customer_ids: list[int], membership) -> dict[int, str]:
    currency = membership.organization.currency
    return {pk: format_minor(net, currency) for pk, net in net_paid(customer_ids).items()}


def _credit_balances(customer_ids: list[int], membership) -> dict[int, str]:
    currency = membership.organization.currency
    return {pk: format_minor(balance, currency) for pk, balance in balances_of(customer_ids).items()}


PAST_DUE_MARK = mark_badge("past due", "text-bg-danger past-due-mark")


def _with_past_due(customers: list, membership) -> list:
    late = past_due_members([customer.pk for customer in customers])
    for customer in customers:
        customer.past_due = customer.pk in late
    return customers


def _past_due_mark(customer) -> str:
    return PAST_DUE_MARK if customer.past_due else ""


def _credit_box(request, customer) -> dict:
    return {"customer": customer, "balance": balance_of(customer)}


register(
    Report("sales", "Sales", "sales:report", 35, sales_tables, controls=("range",)),
    Report("memberships", "Memberships", "memberships:report", 36, membership_tables, controls=()),
    RosterFilters(
        "purchases",
        purchase_filters,
        order=60,
        names=("membership", "has_card", "visits_left", "spent", "credit", "last_purchase", "bought"),
    ),
    ExportColumn("credit_balance", "Credit balance", _credit_balances, order=41),
    ProfileTab("credit", "Credit", "profile_payments:credit", "billing/credit_tab.html", order=42),
    ProfileBox("credit", "billing/credit_box.html", _credit_box, order=40),
    ActivityKinds("credit", "Credit", dict(CreditEvent.choices), order=46),
    ExportColumn("paid_in_all", "Paid in all", _paid_in_all, order=40),
    ProfileTab("payments", "Payments", "profile_payments:tab", "billing/payments_tab.html", order=40),
    ProfileTab("loyalty", "Loyalty", "profile_payments:loyalty", "billing/loyalty_tab.html", order=41),
    ActivityKinds("payments", "Payments", dict(PaymentEvent.choices), order=45),
    ActivityKinds("punch_cards", "Punch cards", dict(PunchEvent.choices), order=46),
    ProfileBox("punch_cards", "billing/punch_box.html", punch_box, order=40),
    ProfileBox("subscriptions", "billing/subscriptions_box.html", subscriptions_box, order=38),
    ProfileBox("past_due", "billing/past_due_alert.html", past_due_alert, order=15, place="top"),
    RowMark("past_due", _past_due_mark, _with_past_due, order=20),
    ActivityKinds("memberships", "Memberships", dict(SubscriptionEvent.choices), order=46),
    ProfileBox("external_subscriptions", "billing/external_box.html", external_box, order=39),
    ActivityKinds("external_subscriptions", "External subscriptions", dict(ExternalEvent.choices), order=47),
)
register_portal_section(PortalSection("payments", "Payments", "portal_payments:payments", 20))
register_settings_page(Page("payments", "Payments", "payment_settings:account", 16, "payments.connect"))
register_audit_actions(PaymentAccountAudit)
register_portal_section(PortalSection("cards", "Cards", "portal_payments:cards", 25))
register_portal_section(PortalSection("store", "Store", "store:list", 30))
register_family_section(
    FamilySection(
        "payments", "Payments", "billing/family_payments.html", family_payments, 10, "customers.view"
    )
)
register(
    MergeHandler(
        "payments",
        "Purchases and payments",
        (
            ("billing.Purchase", "customer"),
            ("billing.Purchase", "payer"),  # a trigger carries the payer to the purchase's payments
            ("billing.Payment", "payer"),
            ("billing.Checkout", "customer"),
            ("billing.Checkout", "payer"),
            ("billing.SpotHold", "customer"),
        ),
        order=200,
        count=payments_count,
    ),
    # The ledger's trigger lets a line move between a tombstone and its survivor (billing/migrations/0015).
    MergeHandler("credit", "Credit lines", (("billing.CreditEntry", "customer"),), 210, count=credit_count),
    MergeHandler("punch_cards", "Punch cards", (("billing.PunchCard", "holder"),), order=220),
    MergeHandler(
        "subscriptions",
        "Memberships and subscriptions",
        (
            ("billing.Subscription", "member"),
            ("billing.Subscription", "payer"),
            ("billing.ExternalSubscription", "customer"),
        ),
        order=230,
    ),
    MergeHandler(
        "saved_cards",
        "Saved cards",
        (("billing.StripeCustomer", "customer"), ("billing.SavedCard", "customer")),
        order=240,
        move=cards_move,
        warnings=cards_warnings,
        count=cards_count,
    ),
    PersonData(
        "purchases", "Purchases", privacy.purchase_rows, order=40, describe="What was bought for or by them."
    ),
    PersonData(
        "payments", "Payments", privacy.payment_rows, order=41, describe="Payments, with refunded amounts."
    ),
    PersonData("credit", "Account credit", privacy.credit_rows, order=42, describe="Every credit line."),
    PersonData(
        "punch_cards", "Punch cards", privacy.punch_card_rows, order=43, describe="Class passes and visits."
    ),
    PersonData(
        "memberships",
        "Memberships",
        privacy.subscription_rows,
        order=44,
        describe="Memberships, here and elsewhere.",
    ),
    PersonData(
        "cards", "Saved cards", privacy.card_rows, order=45, describe="Card brand and last four digits."
    ),
    PersonErasure(
        "billing",
        "Payments and purchases",
        privacy.billing_erase,
        order=40,
        covers=(
            "billing.Purchase.customer",
            "billing.Purchase.payer",
            "billing.Payment.payer",
            "billing.CreditEntry.customer",
            "billing.PunchCard.holder",
            "billing.SpotHold.customer",
            "billing.StripeCustomer.customer",
            "billing.SavedCard.customer",
            "billing.Checkout.customer",
            "billing.Checkout.payer",
            "billing.Subscription.member",
            "billing.Subscription.payer",
            "billing.ExternalSubscription.customer",
        ),
    ),
)
