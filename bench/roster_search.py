"""Roster search speed on a large roster, against a Django-admin-style baseline, measured in the same run.

    .venv/bin/python bench/roster_search.py            # 100 k customers (under a minute)
    .venv/bin/python bench/roster_search.py --full     # 1 M customers over 50 organizations, one with 500 k

Starts its own embedded PostgreSQL and Redis, loads customers with COPY, then times as the app role (row-level
security in force): 200 as-you-type queries through the roster's search (`search_page`) and through an OR of
`icontains` on each field (what the Django admin does), plus the roster and profile pages rendered in full.
"""

import itertools
import random
import string
import time

from _harness import as_a_worker, bench_environment, bench_organizations, bench_parser, goal_table, timed

COLUMNS = (
    "organization_id first_name last_name email phone phone_digits birthday gender address_line1 "
    "address_line2 city region postal_code country emergency_contact_name emergency_contact_phone "
    "marketing_opt_in number source first_key last_key name_key email_key email_domain phone_rev number_key "
    "created_at updated_at"
).split()


def surnames(rng: random.Random, common: list[str], count: int) -> list[str]:
    """Common surnames plus many made-up ones: a long tail like a real roster."""
    syllables = [
        "ka",
        "lo",
        "ren",
        "mar",
        "tin",
        "sa",
        "vel",
        "dor",
        "bri",
        "an",
        "ko",
        "vic",
        "ell",
        "ber",
        "ga",
    ]
    endings = ["", "son", "ski", "ez", "er", "man", "ley", "ton", "ova", "elli", "sen", "ard"]
    made_up = {
        ("".join(rng.choice(syllables) for _ in range(rng.randint(1, 3))) + rng.choice(endings)).capitalize()
        for _ in range(count)
    }
    return common + sorted(made_up)


def load(
    superuser_url: str, total: int, big_share: float, organizations: list[int], rng: random.Random
) -> None:
    import psycopg

    from customers.demo import DOMAINS, FIRST_NAMES, LAST_NAMES
    from customers.search import normalize

    last_names = surnames(rng, LAST_NAMES, 20_000)
    weights = list(
        itertools.accumulate([30.0] * len(LAST_NAMES) + [1.0] * (len(last_names) - len(LAST_NAMES)))
    )
    big = organizations[0]
    others = organizations[1:]
    started = time.perf_counter()
    with psycopg.connect(superuser_url) as conn, conn.cursor() as cursor:
        with cursor.copy(f"COPY customers_customer ({', '.join(COLUMNS)}) FROM STDIN") as copy:
            for number in range(total):
                org = big if number < total * big_share else others[number % len(others)]
                first, last = rng.choice(FIRST_NAMES), rng.choices(last_names, cum_weights=weights)[0]
                digits = "1" + rng.choice("234567689") + "".join(rng.choices(string.digits, k=9))
                phone = (
                    f"({digits[1:4]}) {digits[4:7]}-{digits[7:]}"
                    if number % 2
                    else f"{digits[1:4]}.{digits[4:7]}.{digits[7:]}"
                )
                email = f"{normalize(first)}.{normalize(last)}{number}@{rng.choice(DOMAINS)}".replace(" ", "")
                birthday = f"{rng.randint(1950, 2022)}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"
                first_key, last_key = normalize(first), normalize(last)
                domain = email.rpartition("@")[2]
                copy.write_row(
                    (
                        org,
                        first,
                        last,
                        email,
                        phone,
                        digits,
                        birthday,
                        "",
                        "",
                        "",
                        "",
                        "",
                        "",
                        "",
                        "",
                        "",
                        False,
                        f"C{number}",
                        "import",
                        first_key,
                        last_key,
                        f"{first_key} {last_key}",
                        email,
                        domain,
                        digits[::-1],
                        f"c{number}",
                        "2025-01-01T00:00:00Z",
                        "2025-01-01T00:00:00Z",
                    )
                )
        conn.commit()
    with psycopg.connect(superuser_url, autocommit=True) as conn:
        # The table at rest, as autovacuum leaves it (statistics, the visibility map, GIN pending lists
        # merged) rather than autovacuum running over a million new rows in the middle of the timings; and
        # the pages this dirtied written out now rather than by a checkpoint during them.
        conn.execute("VACUUM ANALYZE customers_customer")
        conn.execute("CHECKPOINT")
    print(f"loaded {total:,} customers with COPY in {time.perf_counter() - started:.1f} s", flush=True)


def as_you_type_queries(rng: random.Random, sample) -> list[str]:
    """200 queries as staff type them: name prefixes, "first last", partial emails, phone digits, typos."""
    queries = []
    for index in range(200):
        person = rng.choice(sample)
        kind = index % 5
        if kind == 0:
            queries.append(person.last_name[: rng.randint(2, 6)])
        elif kind == 1:
            queries.append(f"{person.first_name} {person.last_name[: rng.randint(1, 4)]}")
        elif kind == 2:
            queries.append(person.email[: rng.randint(4, 12)])
        elif kind == 3:
            queries.append(person.phone_digits[-rng.randint(4, 7) :])
        else:
            name = person.last_name.lower()
            if len(name) >= 4:
                position = rng.randint(1, len(name) - 2)
                name = name[:position] + name[position + 1] + name[position] + name[position + 2 :]
            queries.append(name)
    return queries


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def main() -> None:
    parser = bench_parser(
        __doc__, size=100_000, full=1_000_000, what="customers in all (half in the big organization)"
    )
    options = parser.parse_args()
    total = options.size

    with bench_environment("roster-bench-") as superuser_url:
        from django.db.models import Q
        from django.test import Client

        from accounts.tenancy import tenant
        from customers.models import Customer
        from customers.search import search_page

        rng = random.Random(7)
        owner, *organizations = bench_organizations(50)
        load(superuser_url, total, 0.5, [org.pk for org in organizations], rng)

        big = organizations[0]
        with tenant(big):
            sample = list(Customer.objects.order_by("?")[:500])
        queries = as_you_type_queries(rng, sample)

        def ours(query):
            with tenant(big):
                search_page(Customer.objects.filter(archived_at=None), query, offset=0, limit=25)

        def baseline(query):
            condition = Q()
            for name in ("first_name", "last_name", "email", "phone"):
                condition |= Q(**{f"{name}__icontains": query})
            with tenant(big):
                matches = Customer.objects.filter(condition)
                list(matches.order_by("last_name", "first_name")[:25])
                matches.count()

        for query in queries[:10]:  # warm the caches the same way for both
            ours(query)
            baseline(query)
        as_a_worker()
        search_ms = [timed(lambda q=q: ours(q)) for q in queries]
        baseline_ms = [timed(lambda q=q: baseline(q)) for q in queries]

        client = Client()
        client.force_login(owner, backend="django.contrib.auth.backends.ModelBackend")
        roster_urls = [f"/app/{big.slug}/customers/?page={rng.randint(1, 20)}" for _ in range(40)]
        roster_urls += [f"/app/{big.slug}/customers/?q={q}" for q in queries[:40]]
        profile_urls = [f"/app/{big.slug}/customers/{customer.pk}/" for customer in sample[:80]]
        for url in roster_urls[:5] + profile_urls[:5]:
            client.get(url)
        as_a_worker()
        roster_ms = [timed(lambda url=url: client.get(url)) for url in roster_urls]
        # What staff wait for while typing: the #results fragment htmx asks for.
        partial = {"HTTP_HX_REQUEST": "true", "HTTP_HX_TARGET": "results"}
        partial_ms = [timed(lambda url=url: client.get(url, **partial)) for url in roster_urls]
        profile_ms = [timed(lambda url=url: client.get(url)) for url in profile_urls]

    kinds = ["name prefix", "first last", "partial email", "phone digits", "one-typo name"]
    figures = {f"  search: {kind}": search_ms[index::5] for index, kind in enumerate(kinds)}
    figures = {
        **figures,
        "search": search_ms,
        "baseline (admin-style icontains)": baseline_ms,
        "roster page (browse + search)": roster_ms,
        "roster results fragment (htmx)": partial_ms,
        "profile page": profile_ms,
    }
    print(f"\n{total:,} customers, {total // 2:,} in the searched organization; times in ms")
    pages = ("roster page (browse + search)", "roster results fragment (htmx)", "profile page")
    goal_table(figures, {name: (50, 150) for name in pages})
    search_p95, baseline_p95 = percentile(search_ms, 0.95), percentile(baseline_ms, 0.95)
    print(
        f"RESULT search_p95_ms={search_p95:.1f} baseline_p95_ms={baseline_p95:.1f} "
        f"speedup={baseline_p95 / search_p95:.1f} profile_p95_ms={percentile(profile_ms, 0.95):.1f} "
        f"roster_p95_ms={percentile(roster_ms, 0.95):.1f} "
        f"roster_fragment_p95_ms={percentile(partial_ms, 0.95):.1f}"
    )


if __name__ == "__main__":
    main()
