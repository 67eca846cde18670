"""What customers change in the portal (their email, confirmed from the new address), and staff viewing it."""

from django.db import transaction

from accounts.models import User
from customers.models import Customer
from customers.services import activity_record, customer_update
from invites.models import AccountEvent
from portal.email_change import EmailChangeError, email_change_for_token


@transaction.atomic
def email_change_request(*, customer: Customer, new_email: str) -> None:
    """Email a confirmation link to the new address; nothing changes until it is opened."""
    from portal.tasks import email_change_send

    email_change_send.delay_on_commit(
        org_id=customer.organization_id, customer_id=customer.pk, email=new_email
    )


@transaction.atomic
def email_change_confirm(*, token: str, organization_id: int) -> Customer:
    """The new address is proven: it becomes the roster entry's email, and the login's where that login is
    the customer's own and was known by the old address."""
    customer, new_email = email_change_for_token(token, organization_id)
    customer = Customer.objects.select_for_update().get(pk=customer.pk)
    if Customer.objects.filter(email_key=new_email).exclude(pk=customer.pk).exists():
        raise EmailChangeError("This address is already in use with us: ask us to help you change it.")
    user = customer.user
    if user is not None and user.email == customer.email.lower():
        if User.objects.filter(email=new_email).exclude(pk=user.pk).exists():
            raise EmailChangeError("This address has a login of its own: ask us to help you change it.")
        user.email = new_email
        user.save(update_fields=["email"])
    customer_update(
        customer=customer,
        data={"email": new_email},
        by=user,
        detail="Email changed, confirmed from the new address",
    )
    return customer


@transaction.atomic
def portal_view_record(*, customer: Customer, by: User) -> None:
    """Staff opened the customer's portal, read-only: it goes in the customer's Activity Log."""
    activity_record(customer=customer, by=by, kind=AccountEvent.PORTAL_VIEWED)
