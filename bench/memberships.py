"""Membership renewals applied by the worker, and the roster's past-due filter, at the issue's sizes.

    .venv/bin/python bench/memberships.py            # 5 k memberships among 20 k customers
    .venv/bin/python bench/memberships.py --full     # 100 k memberships among 500 k customers: the issue's
    .venv/bin/python bench/memberships.py --profile 600   # 600 renewals in this process, half under cProfile

Starts its own embedded PostgreSQL and Redis, loads customers with COPY (see roster_search.py), a monthly
membership package, then as the superuser with INSERT … SELECT the memberships of one organization (and a
tenth as many in another beside it): each member's Subscription (active, about 3 % past due, its period ending
now, sold by staff; three in ten paid by a guardian, linked as in production, with the payer's saved card),
and its first invoice, paid, with the purchase and card payment it stands for.

Then times, through the Django test client logged in as the owner (row-level security in force), after a
warm-up: the roster page filtered to past-due members and to members with any current membership (and,
for what the page around the filter costs, unfiltered).

Last, the renewals: the `invoice.paid` event Stripe sends when it renews each membership (billing_reason
subscription_cycle, its payments included, its line's period a month on) is stored in bulk as the webhook
stores it — StripeEvent rows with the fields stripe_event_receive writes, COPY'd as the superuser rather than
received one by one, which would time the web process — then a `stripe_event_apply` task is enqueued for each,
as stripe_event_receive does on commit, both organizations' events interleaved. A real Celery worker process
(concurrency 2, as `make run` starts it) applies them; the figure is events over the time from the first
enqueue to the last event applied, with the worker's CPU per event and the database sessions it opened.
Afterwards every membership must have exactly one renewal purchase and its period end moved on a month.
"""

import argparse
import json
import random
import resource
import signal
import statistics
import sys
import time
from datetime import UTC, datetime, timedelta

from _harness import bench_environment, bench_organizations, timed, worker_start
from _membership_world import load_memberships, package_create
from roster_search import load, percentile

GOALS = {"renewals": 500.0, "filter": 50.0}


def renewal_payload(n: int, amount: int, period_end: datetime) -> dict:
    """The invoice Stripe's `invoice.paid` carries when it renews membership `n` (its payments included; the
    invoice's own period looks back, the line's is the period billed)."""
    start = int(period_end.timestamp())
    end = int((period_end + timedelta(days=31)).timestamp())
    before = int((period_end - timedelta(days=31)).timestamp())
    return {
        "id": f"in_bench_{n}_2",
        "object": "invoice",
        "status": "paid",
        "billing_reason": "subscription_cycle",
        "amount_due": amount,
        "amount_paid": amount,
        "amount_remaining": 0,
        "currency": "usd",
        "attempt_count": 1,
        "customer": f"cus_bench_{n}",
        "created": start,
        "period_start": before,
        "period_end": start,
        "parent": {
            "type": "subscription_details",
            "subscription_details": {"subscription": f"sub_bench_{n}", "metadata": {}},
        },
        "lines": {
            "object": "list",
            "data": [
                {
                    "id": f"il_bench_{n}",
                    "object": "line_item",
                    "amount": amount,
                    "currency": "usd",
                    "period": {"start": start, "end": end},
                }
            ],
        },
        "payments": {
            "object": "list",
            "data": [
                {
                    "id": f"inpay_bench_{n}",
                    "object": "invoice_payment",
                    "status": "paid",
                    "amount_paid": amount,
                    "payment": {"type": "payment_intent", "payment_intent": f"pi_bench_{n}"},
                }
            ],
        },
    }


def store_renewal_events(superuser_url: str) -> list[tuple[int, int]]:
    """Each membership's renewal event, stored as stripe_event_receive stores it; returns (organization id,
    event id) of each, in the order they arrive."""
    import psycopg

    with psycopg.connect(superuser_url) as conn, conn.cursor() as cursor:
        cursor.execute(
            """SELECT organization_id, substr(stripe_subscription, 11)::bigint, price + tax,
                      current_period_end
               FROM billing_subscription ORDER BY random()"""
        )
        memberships = cursor.fetchall()
        now = datetime.now(UTC)
        with cursor.copy(
            "COPY billing_stripeevent (organization_id, stripe_id, type, created, payload, received_at) "
            "FROM STDIN"
        ) as copy:
            for org, n, amount, period_end in memberships:
                payload = renewal_payload(n, amount, period_end)
                created = datetime.fromtimestamp(payload["created"], tz=UTC)
                copy.write_row((org, f"evt_bench_{n}", "invoice.paid", created, json.dumps(payload), now))
        cursor.execute("SELECT organization_id, id FROM billing_stripeevent ORDER BY id")
        events = cursor.fetchall()
        conn.commit()
    with psycopg.connect(superuser_url, autocommit=True) as conn:
        conn.execute("VACUUM ANALYZE billing_stripeevent")
    return events


def renewals_apply(superuser_url: str, events: list[tuple[int, int]]) -> tuple[float, float]:
    """Enqueue every event's task and wait for the worker to apply them all: (seconds from the first enqueue
    to the last event applied, seconds the enqueueing took)."""
    import psycopg

    from billing.tasks import stripe_event_apply

    timeout = 120 + len(events) / 10  # fifty times slower than the goal: something is broken
    first = datetime.now(UTC)
    started = time.perf_counter()
    for org, event in events:
        stripe_event_apply.delay(org_id=org, event_id=event)
    enqueue_seconds = time.perf_counter() - started
    with psycopg.connect(superuser_url, autocommit=True) as conn:
        while True:
            pending, last = conn.execute(
                "SELECT count(*) FILTER (WHERE processed_at IS NULL), max(processed_at)"
                " FROM billing_stripeevent"
            ).fetchone()
            if not pending:
                return (last - first).total_seconds(), enqueue_seconds
            if time.perf_counter() - started > timeout:
                raise RuntimeError(f"{pending:,} events still not applied after {timeout:.0f} s")
            time.sleep(0.2)


def renewals_profile(events: list[tuple[int, int]]) -> None:
    """Apply `events` in this process as the worker's task does, under cProfile: the queries one costs and
    where the time goes."""
    import cProfile
    import pstats

    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from billing.tasks import stripe_event_apply

    plain, events = events[: len(events) // 2], events[len(events) // 2 :]
    started, cpu = time.perf_counter(), time.process_time()
    for org, event in plain:
        stripe_event_apply(org_id=org, event_id=event)
    seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
    print(
        f"\n{len(plain)} events applied in this process in {seconds:.2f} s"
        f" ({len(plain) / seconds:.0f} a second,"
        f" {cpu * 1000 / len(plain):.1f} ms of its CPU each)"
    )
    with CaptureQueriesContext(connection) as queries, cProfile.Profile() as profile:
        for org, event in events:
            stripe_event_apply(org_id=org, event_id=event)
    print(f"{len(events)} more under cProfile, {len(queries) / len(events):.1f} queries each:")
    each = len(queries) // len(events)
    spent = [0.0] * each
    for index, query in enumerate(queries.captured_queries[-each * (len(queries) // each) :]):
        spent[index % each] += float(query["time"]) * 1000 / (len(queries) // each)
    for query, ms in zip(queries.captured_queries[-each:], spent, strict=True):
        print(f"  {ms:6.2f} ms  {query['sql'][:130]}")
    pstats.Stats(profile).sort_stats("cumulative").print_stats(30)
    pstats.Stats(profile).sort_stats("tottime").print_stats(30)


def database_sessions(superuser_url: str) -> int:
    """Sessions PostgreSQL has started so far."""
    import psycopg

    with psycopg.connect(superuser_url) as conn:
        return conn.execute("SELECT sum(sessions) FROM pg_stat_database").fetchone()[0]


def renewals_check(superuser_url: str) -> dict[str, int]:
    """What the renewals left: memberships with exactly one renewal purchase, whose period end moved on a
    month, still past due; renewal purchases in all."""
    import psycopg

    with psycopg.connect(superuser_url) as conn:
        return dict(
            zip(
                ("memberships", "one_renewal", "moved", "past_due", "renewals"),
                conn.execute(
                    """SELECT count(*), count(*) FILTER (WHERE renewals = 1),
                              count(*) FILTER (WHERE moved), count(*) FILTER (WHERE past_due),
                              coalesce(sum(renewals), 0)
                       FROM (SELECT subscription.id,
                                    subscription.current_period_end >= first.period_end + interval '28 days'
                                      AS moved,
                                    subscription.status = 'past_due' AS past_due,
                                    (SELECT count(*) FROM billing_subscriptioninvoice invoice
                                     JOIN billing_payment payment ON payment.id = invoice.payment_id
                                     JOIN billing_purchase purchase ON purchase.id = payment.purchase_id
                                     WHERE invoice.subscription_id = subscription.id
                                       AND purchase.channel = 'renewal') AS renewals
                             FROM billing_subscription subscription
                             JOIN billing_subscriptioninvoice first ON first.subscription_id = subscription.id
                                  AND right(first.stripe_invoice, 2) = '_1') AS each""",
                ).fetchone(),
                strict=True,
            )
        )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--size", type=int, default=5_000, help="memberships in the measured organization")
    parser.add_argument(
        "--customers", type=int, default=20_000, help="customers in the measured organization"
    )
    parser.add_argument(
        "--full", action="store_true", help="100,000 memberships among 500,000 customers (the issue's)"
    )
    parser.add_argument("--requests", type=int, default=30, help="timed requests of each filtered roster")
    parser.add_argument(
        "--profile", type=int, default=0, help="apply this many renewals in process under cProfile, then stop"
    )
    options = parser.parse_args()
    # Stopped (Ctrl-C, or SIGTERM from a shell that ignores SIGINT in the background): the worker and the
    # embedded servers stop too.
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))
    size = 100_000 if options.full else options.size
    customers = 500_000 if options.full else max(options.customers, size * 2)
    run_started = time.perf_counter()

    with bench_environment("memberships-bench-") as superuser_url:
        from django.test import Client

        owner, big, other = bench_organizations()
        load(
            superuser_url,
            customers + customers // 10,
            (customers - 0.5) / (customers * 1.1),
            [big.pk, other.pk],
            random.Random(7),
        )
        packages = {org.pk: package_create(org, owner).pk for org in (big, other)}
        load_seconds = load_memberships(
            superuser_url,
            {big.pk: (packages[big.pk], size), other.pk: (packages[other.pk], size // 10)},
            owner.pk,
        )
        before = renewals_check(superuser_url)

        client = Client()
        client.force_login(owner, backend="django.contrib.auth.backends.ModelBackend")
        roster = f"/app/{big.slug}/customers/"
        filtered = {
            "Roster, membership: past due": roster + "?membership=past_due",
            "Roster, membership: any current": roster + "?membership=live",
            "  (the roster unfiltered)": roster,  # what the page around the filter costs
        }
        figures = {}
        for name, url in filtered.items():
            for _ in range(3):  # warm the caches
                response = client.get(url)
                assert response.status_code == 200, (url, response.status_code)
            figures[name] = [timed(lambda url=url: client.get(url)) for _ in range(options.requests)]
        past_due_page = client.get(filtered["Roster, membership: past due"]).text
        assert "past-due-mark" in past_due_page  # the rows it finds carry the mark

        events = store_renewal_events(superuser_url)
        if options.profile:
            renewals_profile(events[: options.profile])
            return
        sessions = database_sessions(superuser_url)
        cpu = resource.getrusage(resource.RUSAGE_CHILDREN)
        worker = worker_start()
        try:
            renewal_seconds, enqueue_seconds = renewals_apply(superuser_url, events)
        finally:
            worker.terminate()
            worker.wait(30)
        used = resource.getrusage(resource.RUSAGE_CHILDREN)
        worker_ms = (used.ru_utime + used.ru_stime - cpu.ru_utime - cpu.ru_stime) * 1000 / len(events)
        sessions = database_sessions(superuser_url) - sessions
        after = renewals_check(superuser_url)

    rate = len(events) / renewal_seconds
    print(
        f"\n{size:,} memberships ({before['past_due']:,} past due) among {customers:,} customers in the"
        f" measured"
        f" organization, {size // 10:,} in another; times in ms"
    )
    print(f"{'what':<40}{'p50':>9}{'p95':>9}{'max':>9}{'goal p95':>10}{'':>6}")
    for name, values in figures.items():
        p95 = percentile(values, 0.95)
        verdict = (
            ""
            if name.startswith(" ")
            else f"{GOALS['filter']:>10.0f}{'ok' if p95 <= GOALS['filter'] else 'SLOW':>6}"
        )
        print(f"{name:<40}{statistics.median(values):>9.1f}{p95:>9.1f}{max(values):>9.1f}{verdict}")
    print(
        f"\n{'Renewals applied by the worker':<40}{rate:>9.0f} a second"
        f"{GOALS['renewals']:>10.0f}{'ok' if rate >= GOALS['renewals'] else 'SLOW':>6}"
    )
    print(
        f"  {len(events):,} invoice.paid events in {renewal_seconds:.1f} s from the first enqueue to the last"
        f" applied (enqueueing took {enqueue_seconds:.1f} s); the worker's CPU: {worker_ms:.1f} ms each;"
        f" {sessions:,} database sessions opened"
    )
    print(
        f"  memberships with exactly one renewal purchase: {after['one_renewal']:,}"
        f" of {after['memberships']:,}"
        f" ({after['renewals']:,} renewal purchases in all); period end moved on a month:"
        f" {after['moved']:,}; still past due: {after['past_due']:,}"
    )
    print(f"(data loaded in {load_seconds:.0f} s; the run took {time.perf_counter() - run_started:.0f} s)")
    results = {
        "renewals_per_s": rate,
        "past_due_p95_ms": percentile(figures["Roster, membership: past due"], 0.95),
        "live_p95_ms": percentile(figures["Roster, membership: any current"], 0.95),
        "one_renewal": after["one_renewal"],
        "moved": after["moved"],
    }
    print("RESULT " + " ".join(f"{key}={value:.1f}" for key, value in results.items()))


if __name__ == "__main__":
    main()
