"""Writes of the duplicate finder: scans of the organization (in the worker), pairs flagged for one customer
(sign-ups, intake forms, the staff form) and staff's *Not a duplicate* decisions."""

from datetime import timedelta

from django.db import connection, transaction
from django.utils import timezone

from accounts.tenancy import required_organization, tenant
from customers.duplicates import POSSIBLE, probe_of_customers, scoring_params, scoring_sql
from customers.models import Customer, DuplicateEvent, DuplicatePair, DuplicateScan, DuplicateStatus
from customers.services import activity_record

# A rescan refreshes the score and reasons of every pair it finds again and keeps a decision made about one.
_STORE = """
INSERT INTO customers_duplicatepair
    (organization_id, customer_a_id, customer_b_id, score, reasons, status, found_at)
SELECT %(org)s, a, b, score, to_jsonb(reasons), 'open', %(now)s FROM scored WHERE score >= %(minimum)s
ON CONFLICT (organization_id, customer_a_id, customer_b_id) DO UPDATE
SET score = EXCLUDED.score, reasons = EXCLUDED.reasons, found_at = EXCLUDED.found_at
"""


def _store(probe: str, params: dict, *, whole_roster: bool, now) -> int:
    with connection.cursor() as cursor:
        cursor.execute(
            scoring_sql(probe, whole_roster=whole_roster) + _STORE,
            scoring_params(
                org=required_organization("the duplicate finder").pk, now=now, minimum=POSSIBLE, **params
            ),
        )
        return cursor.rowcount


@transaction.atomic
def duplicates_scan_start(*, by) -> DuplicateScan:
    """Queue a scan of the whole roster for the worker (one at a time: a scan running is returned instead)."""
    from customers.tasks import duplicates_scan

    # A scan unfinished after 15 minutes lost its worker: a new one may start.
    recent = timezone.now() - timedelta(minutes=15)
    running = (
        DuplicateScan.objects.filter(finished_at=None, started_at__gte=recent).order_by("-started_at").first()
    )
    if running:
        return running
    scan = DuplicateScan.objects.create(started_by=by, steps=3)
    duplicates_scan.delay_on_commit(org_id=scan.organization_id, scan_id=scan.pk)
    return scan


def duplicates_scan_run(*, organization, scan_id: int) -> int:
    """Score the roster's candidate pairs and store those scoring 50+; open pairs no longer found are dropped,
    decided ones kept. Each step commits in its own tenant transaction, so the page shows progress. Returns
    the pairs found."""
    with tenant(organization):
        DuplicateScan.objects.filter(pk=scan_id).update(steps_done=1)
    now = timezone.now()
    with tenant(organization):
        found = _store("SELECT * FROM people", {}, whole_roster=True, now=now)
        DuplicatePair.objects.filter(status=DuplicateStatus.OPEN, found_at__lt=now).delete()
        DuplicateScan.objects.filter(pk=scan_id).update(steps_done=2)
    with tenant(organization):
        DuplicateScan.objects.filter(pk=scan_id).update(
            steps_done=3, pairs_found=found, finished_at=timezone.now()
        )
    return found


@transaction.atomic
def duplicates_flag(*, customer: Customer) -> int:
    """Store the pairs one customer makes with the roster (a sign-up, an intake form, a staff save), for
    staff to review; the customer is never told. Returns how many scored 50+."""
    return _store(
        probe_of_customers("c.id = %(customer)s"),
        {"customer": customer.pk},
        whole_roster=False,
        now=timezone.now(),
    )


@transaction.atomic
def duplicate_mark_not_duplicate(*, pair: DuplicatePair, by) -> DuplicatePair:
    """Staff decide the two are different people: the pair leaves the list and stays out after rescans."""
    if pair.status == DuplicateStatus.NOT_DUPLICATE:
        return pair
    pair.status, pair.decided_by, pair.decided_at = DuplicateStatus.NOT_DUPLICATE, by, timezone.now()
    pair.save(update_fields=["status", "decided_by", "decided_at"])
    for customer, other in ((pair.customer_a, pair.customer_b), (pair.customer_b, pair.customer_a)):
        activity_record(
            customer=customer,
            by=by,
            kind=DuplicateEvent.NOT_DUPLICATE,
            detail=f"Not the same person as {other.full_name}",
        )
    return pair
