"""Never more live offers than free spots: two promotions at once (two threads, two database sessions) while
ten people wait for two freed spots make exactly two offers; a worker killed (SIGKILL) in the middle of a
promotion leaves nothing behind, and once a worker and the beat's sweep run again there is exactly one offer
per spot, each emailed."""

import threading
import time

import pytest
from django.db import connection, connections

from accounts.tenancy import tenant
from billing import services
from billing.models import Package
from invites import waitlist_services
from invites.models import EntryStatus, WaitlistEntry, WaitlistOffer
from invites.tasks import waitlists_sweep
from tests.factories import customer
from tests.store_helpers import open_shop, with_login

pytestmark = pytest.mark.django_db(transaction=True)


def _full_class_with_a_line(org, shop, alice, waiting: int) -> tuple[list, list[WaitlistEntry]]:
    """The party's two spots sold, and `waiting` people in its line; returns the purchases and the line."""
    with tenant(org):
        sold = [
            services.sale_record(
                package=shop["party"], customer=shop[who], payer=shop[who], method="cash", by=alice
            )
            for who in ("pat", "gran")
        ]
        line = []
        for number in range(waiting):
            person = with_login(
                customer(
                    first_name=f"W{number}", last_name="Line", email=f"w{number}@alpha.example", by=alice
                )
            )
            line.append(
                waitlist_services.waitlist_join(package=shop["party"], customer=person, joined_by=person)
            )
    return sold, line


def _refund_all(org, sold, alice) -> None:
    with tenant(org):
        for purchase in sold:
            payment = purchase.payments.get()
            services.payment_refund(payment=payment, amount=payment.refundable, reason="Ill", by=alice)


def _live(org) -> list[str]:
    with tenant(org):
        offers = WaitlistOffer.objects.select_related("hold", "entry__customer")
        return sorted(offer.entry.customer.first_name for offer in offers if offer.is_live)


def test_two_promotions_at_once_make_exactly_one_offer_per_free_spot(org_a, org_b, alice, bob):
    shop = open_shop(org_a, org_b, alice, bob)
    sold, _ = _full_class_with_a_line(org_a, shop, alice, waiting=10)
    _refund_all(org_a, sold, alice)
    start = threading.Barrier(2)
    made, errors = [], []

    def promote():
        try:
            start.wait()
            with tenant(org_a):
                made.append(len(waitlist_services.waitlist_promote(package=Package(pk=shop["party"].pk))))
        except Exception as error:
            errors.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=promote) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    # Whichever promotion locks the package first offers both spots; the others find none free (a session's
    # worker, when one runs, takes the refunds' own promotions too).
    assert errors == [] and sorted(made) in ([0, 2], [0, 0])
    assert _live(org_a) == ["W0", "W1"]
    with tenant(org_a):
        assert WaitlistEntry.objects.filter(status=EntryStatus.WAITING).count() == 8


def _waiting_on_a_lock() -> bool:
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock'")
        return cursor.fetchone()[0] > 0


def test_a_worker_killed_while_promoting_leaves_one_offer_per_spot_once_work_resumes(
    celery_worker, smtp_server, org_a, org_b, alice, bob
):
    shop = open_shop(org_a, org_b, alice, bob)
    sold, line = _full_class_with_a_line(org_a, shop, alice, waiting=3)
    locked, release = threading.Event(), threading.Event()

    def hold_the_second_in_line():
        """Another session holds W1's row, so the worker stops mid-way: W0's offer made, not committed."""
        with tenant(org_a):
            WaitlistEntry.objects.select_for_update().get(pk=line[1].pk)
            locked.set()
            release.wait(60)
        connections.close_all()

    holder = threading.Thread(target=hold_the_second_in_line)
    holder.start()
    try:
        assert locked.wait(30)
        _refund_all(org_a, sold, alice)  # two spots free: the worker takes the promotion on commit
        deadline = time.monotonic() + 30
        while not _waiting_on_a_lock():
            assert time.monotonic() < deadline, "the worker never reached the locked entry"
            time.sleep(0.05)
        celery_worker.kill()
    finally:
        release.set()
        holder.join(30)
    assert _live(org_a) == []  # the killed promotion's offer went with its transaction
    celery_worker.start()
    waitlists_sweep()  # the beat's minute: free spots go to whoever waits
    deadline = time.monotonic() + 30
    while len(_live(org_a)) < 2 and time.monotonic() < deadline:
        time.sleep(0.1)
    assert _live(org_a) == ["W0", "W1"]
    waitlists_sweep()
    assert _live(org_a) == ["W0", "W1"]
    for number in (0, 1):
        assert "is held for W" in str(smtp_server.wait_for(f"w{number}@alpha.example")["Subject"])
    with tenant(org_a):
        assert WaitlistEntry.objects.get(pk=line[2].pk).status == EntryStatus.WAITING
