"""The portal's part of an erasure: online sign-ups still waiting at the person's address."""

from customers.extend import ErasureLine
from portal.models import SignupRequest


def signups_erase(customer) -> list[ErasureLine]:
    count = 0
    if customer.email:
        count, _ = SignupRequest.objects.filter(email__iexact=customer.email).delete()
    return [ErasureLine("Online sign-ups waiting for confirmation", "erased", count)]
