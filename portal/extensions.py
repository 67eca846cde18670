"""What the portal adds to the customers app: the Online account box on the profile, the roster's Online
account filter and the bulk action that invites the selection to claim their accounts."""

import django_filters
from django.utils import timezone

from customers.filters import ROSTER_FILTERS, SELECT
from customers.models import BulkOperation
from customers.services import BULK_ACTIONS
from customers.tabs import PROFILE_BOXES, ProfileBox
from portal.models import ClaimInvite
from portal.services import invites_send
from portal.staff_views import account_box


def _claim_status(queryset, name, value):
    if value == "claimed":
        return queryset.exclude(user=None)
    queryset = queryset.filter(user=None)
    invites = ClaimInvite.objects.all()
    unfinished = invites.filter(claimed_at=None, revoked_at=None, failed_at=None)
    now = timezone.now()
    by_status = {
        "invited": unfinished.filter(expires_at__gt=now),
        "expired": unfinished.filter(expires_at__lte=now),
        "failed": invites.filter(claimed_at=None, revoked_at=None).exclude(failed_at=None),
        "revoked": invites.exclude(revoked_at=None),
    }
    if value == "not_invited":
        return queryset.exclude(pk__in=invites.values("customer_id"))
    return queryset.filter(pk__in=by_status[value].values("customer_id"))


def _roster_filters(audience: str) -> dict:
    claim = django_filters.ChoiceFilter(
        choices=[
            ("not_invited", "Not invited"),
            ("invited", "Invited, not yet claimed"),
            ("expired", "Invitation expired"),
            ("failed", "Invitation bounced"),
            ("revoked", "Invitation revoked"),
            ("claimed", "Has an online account"),
        ],
        empty_label="Any",
        label="Online account",
        method=_claim_status,
        widget=SELECT,
    )
    return {"claim": claim}


def _invite(*, customer_ids, by, params):
    return invites_send(customer_ids=customer_ids, by=by)[0]


PROFILE_BOXES.insert(0, ProfileBox("portal/account_box.html", account_box))
BULK_ACTIONS[BulkOperation.Action.INVITE] = _invite
ROSTER_FILTERS.append(_roster_filters)
