"""Package invitations to a whole segment, through the worker, mail included: how many a second are queued,
written and delivered to an SMTP server (the issue's goal: 50,000 at ≥ 1,000 a second).

Starts its own embedded PostgreSQL and Redis, loads customers with COPY (see roster_search.py), a Celery
worker as `make run` starts one (prefork, concurrency 2) sending to an SMTP server in this process that counts
what it receives. Staff invite every customer of the measured organization (the roster's "Select all" on a
segment, then *Invite to buy*): the bulk action runs in the worker in batches of 1,000, each writing its
invitations and activity and queueing deliveries of 500 over one SMTP connection each.

    .venv/bin/python bench/package_invites.py            # 5,000 invitations
    .venv/bin/python bench/package_invites.py --full     # 50,000 (the issue's)
"""

import logging
import os
import random
import signal
import sys
import threading
import time

from _harness import bench_environment, bench_organizations, bench_parser, worker_start
from roster_search import load

GOAL = 1_000  # invitations a second, end to end


class Counter:
    """An SMTP handler that counts the messages it accepts, and when the last one came."""

    def __init__(self):
        self.received = 0
        self.last = 0.0
        self.lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope):
        with self.lock:
            self.received += 1
            self.last = time.perf_counter()
        return "250 OK"


def main() -> None:
    parser = bench_parser(__doc__, size=5_000, full=50_000, what="customers invited (the measured segment)")
    options = parser.parse_args()
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))
    size = options.size

    from aiosmtpd.controller import Controller

    logging.getLogger("mail.log").setLevel(logging.WARNING)  # it logs every SMTP command at INFO

    from config.local_servers import free_port

    counter = Counter()
    port = free_port()
    smtp = Controller(counter, hostname="127.0.0.1", port=port)
    smtp.start()
    os.environ["SMTP_HOST"], os.environ["SMTP_PORT"] = "127.0.0.1", str(port)
    try:
        with bench_environment("invites-bench-") as superuser_url:
            run(superuser_url, size, counter)
    finally:
        smtp.stop()


def run(superuser_url: str, size: int, counter: Counter) -> None:
    from accounts.tenancy import tenant
    from billing import services as billing_services
    from billing.models import Package, Visibility
    from customers import services as customer_services
    from customers.models import Customer
    from invites.models import PackageInvite

    owner, big, other = bench_organizations()
    load(superuser_url, size + size // 10, (size - 0.5) / (size * 1.1), [big.pk, other.pk], random.Random(7))
    with tenant(big):
        package = billing_services.package_save(
            package=Package(name="Summer camp", price=32500, currency="USD", visibility=Visibility.INVITE),
            by=owner,
        )
        segment = list(Customer.objects.order_by("pk").values_list("pk", flat=True))
        with_email = Customer.objects.exclude(email="").count()
        # Django's SMTP backend refuses a non-ASCII local part ("søren@…"): those invitations are cancelled.
        deliverable = sum(
            1
            for email in Customer.objects.exclude(email="").values_list("email", flat=True)
            if email.partition("@")[0].isascii()
        )
    worker = worker_start()
    try:
        started = time.perf_counter()
        with tenant(big):
            customer_services.customers_bulk(
                action="package_invite",
                customer_ids=segment,
                by=owner,
                params={"package": package.pk, "package_name": package.name},
            )
        queued = time.perf_counter()
        deadline = started + max(120, size / 100)
        written = None
        while counter.received < deliverable and time.perf_counter() < deadline:
            if written is None:
                with tenant(big):
                    if PackageInvite.objects.count() >= with_email:
                        written = time.perf_counter()
            time.sleep(0.05)
        delivered = counter.last
    finally:
        worker.terminate()
        worker.wait(30)
    with tenant(big):
        made = PackageInvite.objects.count()
        sent = PackageInvite.objects.exclude(sent_at=None).count()
    with tenant(other):
        assert not PackageInvite.objects.exists()  # the other organization got nothing
    seconds = delivered - started
    rate = counter.received / seconds if seconds > 0 else 0
    print(
        f"\n{size:,} customers in the segment, {with_email:,} with an email: "
        f"{made:,} invitations, {sent:,} marked sent ({with_email - deliverable:,} unreachable)"
    )
    print(f"{'step':<46} {'seconds':>9} {'per second':>11}")
    print(f"{'queued (the request)':<46} {queued - started:>9.2f}")
    if written:
        print(
            f"{'all invitations written (worker)':<46} {written - started:>9.2f} "
            f"{made / (written - started):>11,.0f}"
        )
    print(f"{'all emails received by the SMTP server':<46} {seconds:>9.2f} {rate:>11,.0f}")
    print(f"goal: ≥ {GOAL:,} a second end to end — {'met' if rate >= GOAL else 'MISSED'}")
    assert counter.received == deliverable == sent and made == with_email, (
        counter.received,
        deliverable,
        sent,
    )


if __name__ == "__main__":
    main()
