"""What the resource routers share beyond api/common.py: an API key where selectors ask who is looking, and
the customer a path names."""

from dataclasses import dataclass

from ninja.errors import HttpError

from accounts.models import Role
from customers.models import Customer


@dataclass(frozen=True)
class KeyViewer:
    """An API key where selectors ask "who is looking": the Staff role (the least a member of staff may see:
    staff-visible custom fields, notes for everyone on staff), and no user, so nobody's private notes."""

    role: str = Role.STAFF
    user_id: int | None = None


@dataclass(frozen=True)
class KeyRequest:
    """What ActivityKinds.restrict reads of a staff request, for a key."""

    membership: KeyViewer = KeyViewer()


STAFF_VIEW = KeyViewer()


def customer_of(pk: int) -> Customer:
    """The key's organization's customer, or 404 (another organization's id included)."""
    customer = Customer.objects.filter(pk=pk).first()
    if customer is None:
        raise HttpError(404, "No such customer.")
    return customer
