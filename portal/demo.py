"""The demo's customer login: a parent who signed up online, with two children, at both demo organizations."""

from datetime import date

from django.utils import timezone

from accounts import services as account_services
from accounts.models import User
from customers.rules import Channel
from portal.signups import signup_join

DEMO_CUSTOMER = ("jordan.rivera@example.com", "Jordan", "Rivera")


def demo_portal_customer(*, password: str) -> None:
    """Jordan Rivera signs up online in the current organization (their login made at the first one)."""
    email, first_name, last_name = DEMO_CUSTOMER
    user = User.objects.filter(email=email).first() or account_services.user_signup(
        email=email, password=password, first_name=first_name, last_name=last_name
    )
    year = timezone.localdate().year
    signup_join(
        user=user,
        channel=Channel.ONLINE_STORE,
        data={"first_name": first_name, "last_name": last_name, "email": email, "phone": "+13125550148"},
        children=[
            {"first_name": "Mia", "birthday": date(year - 7, 3, 14)},
            {"first_name": "Leo", "birthday": date(year - 4, 9, 2)},
        ],
    )
