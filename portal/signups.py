"""Online sign-ups (`/<org>/signup/<channel>/`): nothing exists until the visitor opens the link we email.
Then the login (its address proven), the roster entry and the children they added are made together."""

from datetime import timedelta

from django.contrib.auth.hashers import make_password
from django.db import transaction
from django.utils import timezone

from accounts.models import User
from accounts.selectors import new_token, token_hash
from customers.duplicate_services import duplicates_flag
from customers.models import Customer
from customers.services import SIGNUP_SOURCES, activity_record, customer_create
from families import services as family_services
from families.models import Relationship
from invites.models import AccountEvent
from portal.models import SignupRequest

SIGNUP_LIFETIME = timedelta(hours=72)


class SignupError(Exception):
    """A sign-up that cannot be completed any more (an account with that address exists now)."""


@transaction.atomic
def signup_request(*, email: str, password: str, channel: str, details: dict) -> SignupRequest:
    """Keep the sign-up and let the worker email the address: a confirmation link, or, when the address
    has a login or is on the roster already, what to do instead. The page answers alike in every case."""
    from portal.tasks import signup_request_send

    signup = SignupRequest.objects.create(
        email=email.strip().lower(),
        channel=channel,
        password=make_password(password),
        details=details,
        expires_at=timezone.now() + SIGNUP_LIFETIME,
    )
    signup_request_send.delay_on_commit(org_id=signup.organization_id, signup_id=signup.pk)
    return signup


def signups_expired_delete() -> int:
    """Forget the current organization's sign-ups nobody confirmed in time (they hold a password hash and
    the details typed)."""
    deleted, _ = SignupRequest.objects.filter(expires_at__lte=timezone.now()).delete()
    return deleted


@transaction.atomic
def signup_issue_token(*, signup: SignupRequest) -> str:
    """A fresh token for the email about to go out (in the worker); only its hash is kept."""
    token, signup.token_hash = new_token()
    signup.save(update_fields=["token_hash"])
    return token


def open_signup_for_token(token: str) -> SignupRequest | None:
    """The current organization's unexpired sign-up with this token, or None (unknown, used, expired)."""
    return SignupRequest.objects.filter(
        token_hash=token_hash(token or ""), expires_at__gt=timezone.now()
    ).first()


@transaction.atomic
def signup_confirm(*, signup_id: int, data: dict, children: list[dict]) -> Customer:
    """The visitor opened the link: their address is proven. Make the login, link it to the roster entry
    with this address (made now from `data` unless staff already have one nobody claimed) and add the
    children as dependants. The sign-up is used up."""
    signup = SignupRequest.objects.select_for_update().filter(pk=signup_id).first()
    if signup is None:
        raise SignupError("This link has already been used.")
    signup.delete()
    existing = Customer.objects.select_for_update().filter(email_key=signup.email).first()
    if User.objects.filter(email=signup.email).exists() or (existing and existing.user_id):
        raise SignupError("You already have an account with this address.")
    user = User.objects.create(
        email=signup.email,
        password=signup.password,
        first_name=data["first_name"],
        last_name=data["last_name"],
        email_verified_at=timezone.now(),
    )
    return _roster_entry(user=user, existing=existing, channel=signup.channel, data=data, children=children)


@transaction.atomic
def signup_join(*, user: User, channel: str, data: dict, children: list[dict]) -> Customer:
    """Someone with a confirmed login (a customer of another business, say) becomes a customer here: the
    roster entry with their address if staff have one nobody claimed, else a new one from `data`."""
    existing = Customer.objects.select_for_update().filter(email_key=user.email).first()
    if Customer.objects.filter(user=user).exists() or (existing and existing.user_id):
        raise SignupError("You already have an account here.")
    return _roster_entry(user=user, existing=existing, channel=channel, data=data, children=children)


def _roster_entry(*, user: User, existing: Customer | None, channel: str, data: dict, children: list[dict]):
    """Link `user` (whose address is proven) to `existing`, or to a new entry made from `data`, and add the
    children as dependants."""
    if existing is None:
        customer = customer_create(data=data, by=user, source=SIGNUP_SOURCES[channel], user=user)
        duplicates_flag(customer=customer)  # for staff to review in Settings → Duplicates; never said online
    else:  # staff had them on file: the proven address claims that entry, details as staff keep them
        Customer.objects.filter(pk=existing.pk).update(user=user)
        customer = existing
        customer.user = user
        detail = f"Signed up online as {user.email}"
        activity_record(customer=customer, by=user, kind=AccountEvent.CLAIMED, detail=detail)
    for child in children:
        guest = family_services.guest_create(
            guardian=customer,
            data={**child, "last_name": child.get("last_name") or customer.last_name},
            relationship=Relationship.PARENT,
            is_primary=True,  # a new child: the parent adding them is their first guardian
            by=user,
        )
        duplicates_flag(customer=guest)
    return customer
