"""Payments and subscriptions (read, `payments:read`): what a customer paid or was paid for, and the
memberships they hold or pay for, as the profile's Payments tab lists them. Amounts are in minor units."""

from datetime import datetime

from ninja import Query, Router, Schema

from api.auth import scoped
from api.common import CursorPage, PageParams, Problem, paginate
from api.resources import customer_of
from billing.selectors import payments_of, subscriptions_of

router = Router()


class RefundOut(Schema):
    amount: int
    reason: str
    created_at: datetime


class PaymentOut(Schema):
    id: int
    amount: int
    refunded: int
    currency: str
    method: str
    card_brand: str
    card_last4: str
    package: str
    purchase_id: int
    payer_id: int | None
    customer_id: int | None
    refunds: list[RefundOut]
    created_at: datetime

    @staticmethod
    def resolve_package(payment) -> str:
        return payment.purchase.package.name

    @staticmethod
    def resolve_payer_id(payment) -> int | None:
        return payment.purchase.payer_id

    @staticmethod
    def resolve_customer_id(payment) -> int | None:
        return payment.purchase.customer_id

    @staticmethod
    def resolve_refunds(payment) -> list:
        return list(payment.refunds.all())


class SubscriptionOut(Schema):
    id: int
    package: str
    member_id: int | None
    payer_id: int | None
    status: str
    price: int
    tax: int
    currency: str
    interval: str
    interval_count: int
    current_period_end: datetime | None
    cancel_at: datetime | None
    cancelled_at: datetime | None
    created_at: datetime

    @staticmethod
    def resolve_package(subscription) -> str:
        return subscription.package.name


@router.get(
    "/customers/{customer_id}/payments/",
    response={200: CursorPage[PaymentOut], 403: Problem, 404: Problem, 422: Problem},
    summary="A customer's payments",
    description="Payments for purchases the customer paid for or that were for them, oldest first, with "
    "their refunds.",
)
def payment_list(request, customer_id: int, page: Query[PageParams]):
    scoped(request, "payments")
    return paginate(request, payments_of(customer_of(customer_id)), page)


@router.get(
    "/customers/{customer_id}/subscriptions/",
    response={200: CursorPage[SubscriptionOut], 403: Problem, 404: Problem, 422: Problem},
    summary="A customer's memberships",
    description="The memberships the customer holds or pays for, oldest first.",
)
def subscription_list(request, customer_id: int, page: Query[PageParams]):
    scoped(request, "payments")
    subscriptions = subscriptions_of(customer_of(customer_id))
    return paginate(request, subscriptions, page)
