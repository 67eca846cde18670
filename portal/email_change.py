"""The signed link that proves a customer's new email address: made when they ask for the change, read when
they open it."""

from django.core import signing

from customers.models import Customer

EMAIL_CHANGE_MAX_AGE = 24 * 3600


def _email_change_salt(organization_id: int) -> str:
    return f"portal.email-change:{organization_id}"  # a token works only in its own organization


class EmailChangeError(Exception):
    """An email change link that cannot be used; the message says why."""


def email_change_token(*, customer: Customer, new_email: str) -> str:
    """Signed, so it cannot be made up; single use, because it names the address it replaces."""
    payload = {"customer": customer.pk, "old": customer.email, "new": new_email}
    return signing.dumps(payload, salt=_email_change_salt(customer.organization_id))


def email_change_for_token(token: str, organization_id: int) -> tuple[Customer, str]:
    try:
        payload = signing.loads(token, salt=_email_change_salt(organization_id), max_age=EMAIL_CHANGE_MAX_AGE)
    except signing.BadSignature as error:
        raise EmailChangeError("This link has expired.") from error
    customer = Customer.objects.filter(pk=payload["customer"]).first()
    if customer is None or customer.email != payload["old"]:
        raise EmailChangeError("This link has expired.")
    return customer, payload["new"]
