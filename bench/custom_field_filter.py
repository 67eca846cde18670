"""Roster filtered by custom fields on a large organization, with and without a search term.

    .venv/bin/python bench/custom_field_filter.py            # 50 k customers (a minute or two)
    .venv/bin/python bench/custom_field_filter.py --full     # 500 k customers: the issue's figure (~9 min)
    .venv/bin/python bench/custom_field_filter.py --explain  # + EXPLAIN ANALYZE: the slowest headline request

Starts its own embedded PostgreSQL and Redis, loads customers (see roster_search.py) into one measured
organization and a smaller second one, defines 20 custom fields of every type, and loads their values at
realistic densities with COPY. Then times, as the app role (row-level security in force), what the roster view
does for one request (the filter panel's queryset, the page of 25 rows and the capped count) for each kind of
filter, and renders the roster page and its htmx #results fragment with the headline filters. The headline is
one choice field + one date range + a search term typed as staff type it.
"""

import random
import time
from datetime import date, timedelta
from types import SimpleNamespace
from urllib.parse import urlencode

from _harness import (
    as_a_worker,
    bench_environment,
    bench_organizations,
    bench_parser,
    goal_table,
    roster_request,
    timed,
)
from roster_search import as_you_type_queries, load, percentile

# (label, type, share of customers with a value, options): the fields of a membership business's roster.
FIELDS = [
    ("Membership level", "choice", 0.70, ["Bronze", "Silver", "Gold", "Platinum", "Lifetime"]),
    ("Member since", "date", 0.40, None),
    ("Newsletter", "yes_no", 0.60, None),
    ("Annual spend", "number", 0.30, None),
    ("Employer", "text", 0.20, None),
    ("Interests", "multiple_choice", 0.25, ["Yoga", "Swim", "Climbing", "Tennis", "Pilates", "Spin"]),
    ("T-shirt size", "choice", 0.15, ["XS", "S", "M", "L", "XL", "XXL"]),
    ("Waiver signed", "date", 0.10, None),
    ("Photo consent", "yes_no", 0.15, None),
    ("Locker number", "number", 0.08, None),
    ("Referral source", "choice", 0.10, ["Friend", "Google", "Instagram", "Flyer", "Event", "Other"]),
    ("Allergies", "text", 0.08, None),
    ("Work email", "email", 0.05, None),
    ("Work phone", "phone", 0.05, None),
    ("Website", "url", 0.05, None),
    ("School", "text", 0.12, None),
    ("Notes", "long_text", 0.06, None),
    ("Renewal date", "date", 0.15, None),
    ("Handicap", "number", 0.05, None),
    ("Home location", "choice", 0.12, ["Downtown", "Northside", "Riverside", "Airport"]),
]
VALUE_COLUMNS = "organization_id customer_id field_id text key number date flag option_id".split()
COMPANY_ENDINGS = [
    "Inc",
    "LLC",
    "Group",
    "& Sons",
    "Partners",
    "Labs",
    "Dental",
    "Logistics",
    "Bakery",
    "Law",
]
ALLERGIES = ["Peanuts", "Tree nuts", "Dairy", "Gluten", "Bee stings", "Latex", "Shellfish", "Penicillin"]
SCHOOLS = [
    f"{name} {kind}"
    for name in (
        "Lincoln",
        "Oakwood",
        "Riverside",
        "St. Mary's",
        "Jefferson",
        "Maple",
        "Hillcrest",
        "Central",
    )
    for kind in ("Elementary", "Middle School", "High School", "Academy")
]
NOTES = [
    "Prefers morning classes",
    "Knee injury, no jumping",
    "Pays by invoice",
    "Ask about family plan",
    "Brings a personal trainer",
    "Speaks Spanish",
    "VIP: owner's friend",
]
FIRST_DAY, DAYS = date(2012, 1, 1), 14 * 365


def _text_value(label: str, rng: random.Random, customer_id: int) -> str:
    from customers.demo import LAST_NAMES

    last = rng.choice(LAST_NAMES)
    match label:
        case "Employer":
            return f"{last} {rng.choice(COMPANY_ENDINGS)}"
        case "Allergies":
            return ", ".join(rng.sample(ALLERGIES, rng.randint(1, 2)))
        case "Work email":
            return f"c{customer_id}@{last.lower()}-{rng.choice(COMPANY_ENDINGS).lower()}.example"
        case "Work phone":
            return f"(555) {rng.randint(200, 999)}-{rng.randint(0, 9999):04d}"
        case "Website":
            return f"https://www.{last.lower()}{rng.randint(1, 99)}.example.com/"
        case "School":
            return rng.choice(SCHOOLS)
    return f"{rng.choice(NOTES)}. {rng.choice(NOTES)}."


def _values(label, kind, options, rng: random.Random, customer_id: int):
    """(text, key, number, date, flag, option_id) rows of one customer's value of one field."""
    from customers.search import normalize

    match kind:
        case "choice":  # the first options are the common ones
            return [("", "", None, None, None, rng.choices(options, cum_weights=_skewed(len(options)))[0])]
        case "multiple_choice":
            return [("", "", None, None, None, option) for option in rng.sample(options, rng.randint(1, 3))]
        case "date":
            return [("", "", None, FIRST_DAY + timedelta(days=rng.randrange(DAYS)), None, None)]
        case "yes_no":
            return [("", "", None, None, rng.random() < 0.7, None)]
        case "number":
            number = {
                "Annual spend": round(rng.lognormvariate(6, 1), 2),
                "Locker number": rng.randint(1, 400),
                "Handicap": round(rng.uniform(0, 36), 1),
            }[label]
            return [(str(number), "", float(number), None, None, None)]
    text = _text_value(label, rng, customer_id)
    return [(text, normalize(text)[:100], None, None, None, None)]


def _skewed(count: int) -> list[float]:
    """Cumulative weights 1, 1/2, 1/3…: a few common choices and a tail."""
    total, weights = 0.0, []
    for position in range(count):
        total += 1 / (position + 1)
        weights.append(total)
    return weights


def define_fields() -> list:
    """The 20 custom fields of the current organization, saved through the service as staff do."""
    from customers.models import CustomField, CustomFieldOption
    from customers.services import custom_field_save

    staff = ["owner", "admin", "staff"]
    fields = []
    for label, kind, _share, options in FIELDS:
        rows = [
            {"option": CustomFieldOption(label=text), "retired": False, "delete": False}
            for text in options or ()
        ]
        field = CustomField(label=label, type=kind, visible_to=staff, editable_by=staff)
        fields.append(custom_field_save(field=field, options=rows, by=None))
    return fields


def load_values(
    superuser_url: str, organization_id: int, fields: dict, option_ids: dict, rng: random.Random
) -> int:
    """Every customer's custom values at the fields' densities, with COPY; returns the rows written."""
    import psycopg

    started, written = time.perf_counter(), 0
    specs = [
        (fields[label].pk, label, kind, share, option_ids.get(label))
        for label, kind, share, _options in FIELDS
    ]
    with psycopg.connect(superuser_url) as conn, conn.cursor() as cursor:
        customers = cursor.execute(
            "SELECT id FROM customers_customer WHERE organization_id = %s ORDER BY id", [organization_id]
        ).fetchall()
        with cursor.copy(f"COPY customers_customfieldvalue ({', '.join(VALUE_COLUMNS)}) FROM STDIN") as copy:
            for (customer_id,) in customers:
                for field_id, label, kind, share, options in specs:
                    if rng.random() < share:
                        for row in _values(label, kind, options, rng, customer_id):
                            copy.write_row((organization_id, customer_id, field_id, *row))
                            written += 1
        conn.commit()
    with psycopg.connect(superuser_url, autocommit=True) as conn:
        # The values at rest, as load() leaves the customers: statistics, the visibility map.
        conn.execute("VACUUM ANALYZE customers_customfieldvalue")
    print(f"loaded {written:,} custom values with COPY in {time.perf_counter() - started:.1f} s", flush=True)
    return written


HEADLINE = "choice + date + search (headline)"
FILTER_GOAL = (50, 150)  # p95, max (ms): every filter kind and combination


def filter_requests(
    names: dict[str, str], option_ids: dict[str, list[int]], queries: list[str], count: int, rng
) -> dict[str, list]:
    """`count` roster requests (QueryDicts) per kind of filter; the headline one per search query.
    `names`: {label: filter name} of the custom fields."""
    from django.http import QueryDict

    membership, since, spend = names["Membership level"], names["Member since"], names["Annual spend"]

    def choice() -> dict:  # one option, the common ones more often
        ids = option_ids["Membership level"]
        return {membership: [rng.choices(ids, cum_weights=_skewed(len(ids)))[0]]}

    def date_range() -> dict:  # a month to two years
        start = FIRST_DAY + timedelta(days=rng.randrange(DAYS - 60))
        end = start + timedelta(days=rng.randint(30, 730))
        return {f"{since}_min": start.isoformat(), f"{since}_max": end.isoformat()}

    def number_range() -> dict:
        low = round(rng.lognormvariate(6, 1))
        return {f"{spend}_min": low, f"{spend}_max": low * rng.choice([2, 5, 10])}

    kinds = {
        "choice": lambda _: choice(),
        "date range": lambda _: date_range(),
        "choice + date": lambda _: choice() | date_range(),
        HEADLINE: lambda query: choice() | date_range() | {"q": query},
        "number range": lambda _: number_range(),
        "yes/no": lambda _: {names["Newsletter"]: rng.choice(["true", "false"])},
        "multiple choice (any of 2)": lambda _: {names["Interests"]: rng.sample(option_ids["Interests"], 2)},
        "text contains": lambda _: {
            names["Employer"]: rng.choice([*COMPANY_ENDINGS, "son", "ill", "mar", "ez L"]).lower()
        },
        "choice + yes/no + search": lambda query: choice() | {names["Newsletter"]: "true", "q": query},
        "search only (no filter)": lambda query: {"q": query},
    }
    return {
        name: [
            QueryDict(urlencode(make(queries[index % len(queries)]), doseq=True))
            for index in range(len(queries) if name == HEADLINE else count)
        ]
        for name, make in kinds.items()
    }


def explain_slowest(organization, viewer, times: list[float], requests: list) -> None:
    """EXPLAIN ANALYZE (as the app role, row-level security in force) the queries of the slowest request:
    each query's time, then the plans of the two slowest."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from accounts.tenancy import tenant

    took, params = max(zip(times, requests, strict=True), key=lambda pair: pair[0])
    print(f"\nslowest headline request ({took:.1f} ms): ?{params.urlencode()}")
    with CaptureQueriesContext(connection) as captured:
        roster_request(organization, params, viewer)
    plans = []
    with tenant(organization), connection.cursor() as cursor:
        for item in captured.captured_queries:
            if item["sql"].startswith("SELECT") and "customers_c" in item["sql"]:
                cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + item["sql"])
                lines = [line for (line,) in cursor.fetchall()]
                plans.append((float(lines[-1].split()[2]), item["sql"], lines))
    for execution_ms, sql, _lines in plans:
        print(f"  {execution_ms:8.1f} ms  {sql[:150]}…")
    for execution_ms, sql, lines in sorted(plans, key=lambda plan: -plan[0])[:2]:
        print(f"\n{execution_ms:.1f} ms: {sql}\n" + "\n".join(lines))


def main() -> None:
    parser = bench_parser(
        __doc__, size=50_000, full=500_000, what="customers in the measured organization (another has 10 %%)"
    )
    parser.add_argument("--explain", action="store_true", help="EXPLAIN ANALYZE the slowest headline request")
    parser.add_argument("--requests", type=int, default=100, help="timed requests per kind of filter")
    options = parser.parse_args()
    size = options.size
    total = size + size // 10
    run_started = time.perf_counter()

    with bench_environment("custom-field-bench-") as superuser_url:
        from django.test import Client

        from accounts.tenancy import tenant
        from customers.models import Customer

        rng = random.Random(11)
        owner, big, other = bench_organizations()
        viewer = SimpleNamespace(role="owner", user_id=owner.pk)  # what the view passes: the membership
        load(superuser_url, total, (size - 0.5) / total, [big.pk, other.pk], rng)
        with tenant(big):
            fields = {field.label: field for field in define_fields()}
            option_ids = {
                label: list(field.options.values_list("pk", flat=True))
                for label, field in fields.items()
                if field.type in ("choice", "multiple_choice")
            }
        value_rows = load_values(superuser_url, big.pk, fields, option_ids, rng)
        with tenant(big):
            rows = Customer.objects.count()
            sample = list(Customer.objects.order_by("?")[:500])
        queries = as_you_type_queries(rng, sample)

        requests = filter_requests(
            {label: field.name for label, field in fields.items()}, option_ids, queries, options.requests, rng
        )

        figures, matches = {}, {}
        for name, batch in requests.items():
            for params in batch[:5]:  # warm the caches
                roster_request(big, params, viewer)
            as_a_worker()
            figures[name] = [
                timed(lambda params=params: roster_request(big, params, viewer)) for params in batch
            ]
            matches[name] = [roster_request(big, params, viewer) for params in batch[:20]]

        client = Client()
        client.force_login(owner, backend="django.contrib.auth.backends.ModelBackend")
        urls = [f"/app/{big.slug}/customers/?{params.urlencode()}" for params in requests[HEADLINE][:40]]
        for url in urls[:5]:
            assert client.get(url).status_code == 200
        as_a_worker()
        figures["roster page (headline filters)"] = [timed(lambda url=url: client.get(url)) for url in urls]
        partial = {"HTTP_HX_REQUEST": "true", "HTTP_HX_TARGET": "results"}
        figures["roster results fragment (htmx)"] = [
            timed(lambda url=url: client.get(url, **partial)) for url in urls
        ]

        if options.explain:
            explain_slowest(big, viewer, figures[HEADLINE], requests[HEADLINE])

    print(
        f"\n{rows:,} customers in the measured organization ({total - rows:,} in another), "
        f"{value_rows:,} custom values; times in ms"
    )
    goals = {name: FILTER_GOAL for name in figures} | {
        "text contains": (100, 150),
        "roster page (headline filters)": (80, 150),
        "roster results fragment (htmx)": (80, 150),
    }
    goal_table(figures, goals, matches)
    elapsed = time.perf_counter() - run_started
    print(f"(matches: median count per request, capped at 1,000; the run took {elapsed:.0f} s)")
    print(f"RESULT filter_p95_ms={percentile(figures[HEADLINE], 0.95):.1f} rows={rows}")


if __name__ == "__main__":
    main()
