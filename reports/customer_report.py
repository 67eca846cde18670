"""Reports → Customers, computed in SQL (aggregates over the population, never its rows in Python): growth by
source, active and archived, online accounts and invitations, households and guests, ages, birthday months and
top tags. Each section is a customers.reports.ReportTable: its page section, its CSV and its XLSX sheet."""

import hashlib
import time
from datetime import date, datetime, timedelta

from django.conf import settings
from django.core.cache import cache, caches
from django.db import connection
from django.db.models import BooleanField, ExpressionWrapper, Q
from django.utils import timezone

from accounts.models import Membership, Organization
from accounts.tenancy import db_setting
from customers.models import Customer, Source
from customers.reports import ReportQuery, ReportTable
from families.models import GuardianLink
from invites.models import ClaimInvite
from tags.models import CustomerTag, Tag

CUSTOMERS = Customer._meta.db_table
LINKS = GuardianLink._meta.db_table
INVITES = ClaimInvite._meta.db_table
TAGGED = CustomerTag._meta.db_table
TAGS = Tag._meta.db_table
AGE_LIMITS = [3, 6, 10, 13, 18, 30, 45, 65]  # each band starts at one of these (the first at 0)
AGE_BANDS = ["Under 3", "3–5", "6–9", "10–12", "13–17", "18–29", "30–44", "45–64", "65 and over"]
MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
TOP_TAGS = 10
POPULATION_COLUMNS = ["id", "created_at", "archived_at", "birthday", "source", "user_id", "no_email"]


def _population(query: ReportQuery) -> tuple[str, list]:
    """The population's columns the sections read: for everyone an index range (customer_report_idx)."""
    columns = query.population().order_by().annotate(no_email=ExpressionWrapper(Q(email=""), BooleanField()))
    sql, params = columns.values(*POPULATION_COLUMNS).query.sql_with_params()
    return sql, list(params)


def _archived(query: ReportQuery) -> tuple[str, list]:
    """For everyone, the archived customers as a CTE: a range of customer_report_idx (a tenth of the roster)
    rather than a pass over the whole population, read twice."""
    sql, params = (
        query.population().order_by().filter(archived_at__isnull=False).values("id").query.sql_with_params()
    )
    return f"archived AS MATERIALIZED ({sql}),", list(params)


def _active(column: str, query: ReportQuery) -> str:
    """`column` (a customer id) names an active customer of the population."""
    if query.segment is None:  # everyone: the few archived make the smaller hash to look up
        return f"NOT EXISTS (SELECT 1 FROM archived a WHERE a.id = {column})"
    return f"{column} IN (SELECT id FROM population WHERE archived_at IS NULL)"


def period_starts(query: ReportQuery) -> list[date]:
    """The first day of every week (from Monday) or month the period touches."""
    if query.every == "week":
        first = query.start - timedelta(days=query.start.weekday())
        return [first + timedelta(weeks=n) for n in range((query.end - first).days // 7 + 1)]
    months = (query.end.year - query.start.year) * 12 + query.end.month - query.start.month
    return [
        date(query.start.year + (query.start.month - 1 + n) // 12, (query.start.month - 1 + n) % 12 + 1, 1)
        for n in range(months + 1)
    ]


def figures(query: ReportQuery) -> dict[str, list[tuple]]:
    """Every section's counts in one statement, as rows of (key, detail, count) by section. Growth and
    standing come from one pass that counts the population by period, source and state.

    For everyone, the sections scan customer_report_idx each (two workers beside the leader share every scan);
    a segment's population is evaluated once, its filters included, and read by every section."""
    start, end = query.bounds()
    population, params = _population(query)
    if query.segment is None:  # an index range: each pass scans it
        ctes, cte_params = _archived(query)
        scanned, scanned_params = f"({population}) AS p", params
    else:  # a query of its own: evaluated once
        ctes, cte_params = f"population AS MATERIALIZED ({population}),", params
        scanned, scanned_params = "population AS p", []
    # Growth buckets: bucket 1 starts on the first day, each next one on a week's or month's first day;
    # bucket 0 is before the period, the last one after it.
    midnights = [datetime.combine(day, datetime.min.time(), query.zone) for day in period_starts(query)[1:]]
    thresholds = [start, *midnights, end]
    invited = "" if query.segment is None else " AND i.customer_id IN (SELECT id FROM population)"
    sql = f"""
        WITH {ctes}
        counted AS MATERIALIZED (
            SELECT width_bucket(p.created_at, %s::timestamptz[]) AS bucket, p.source,
                   p.archived_at IS NULL AS active_now, p.archived_at < %s AS archived_by_end,
                   p.user_id IS NOT NULL AS claimed, count(*) AS customers
            FROM {scanned}
            GROUP BY 1, 2, 3, 4, 5
        ),
        birthdays AS (
            SELECT p.birthday, count(*) AS customers FROM {scanned} WHERE p.archived_at IS NULL GROUP BY 1
        )
        SELECT 'growth', bucket::text, source, sum(customers)
        FROM counted WHERE bucket BETWEEN 1 AND %s
        GROUP BY bucket, source
        UNION ALL
        SELECT 'standing', v.key, NULL, coalesce(v.customers, 0)
        FROM (
            SELECT sum(customers) FILTER (WHERE bucket <= %s AND archived_by_end IS NOT TRUE) AS active,
                   sum(customers) FILTER (WHERE bucket <= %s AND archived_by_end) AS archived,
                   sum(customers) FILTER (WHERE active_now AND claimed) AS claimed,
                   sum(customers) FILTER (WHERE active_now) AS active_now
            FROM counted
        ) AS counts
        CROSS JOIN LATERAL (
            VALUES ('active', active), ('archived', archived), ('claimed', claimed),
                   ('active_now', active_now)
        ) AS v(key, customers)
        UNION ALL
        SELECT 'standing', 'guests', NULL, count(*)
        FROM {scanned}
        WHERE p.archived_at IS NULL AND p.user_id IS NULL AND p.no_email
          AND EXISTS (SELECT 1 FROM {LINKS} g WHERE g.organization_id = %s AND g.dependant_id = p.id)
        UNION ALL
        SELECT 'invitations', v.key, NULL, v.invitations
        FROM (
            SELECT count(*) AS sent, count(*) FILTER (WHERE i.claimed_at IS NOT NULL) AS claimed
            FROM {INVITES} i
            WHERE i.organization_id = %s AND i.sent_at >= %s AND i.sent_at < %s{invited}
        ) AS counts
        CROSS JOIN LATERAL (VALUES ('sent', sent), ('claimed', claimed)) AS v(key, invitations)
        UNION ALL
        SELECT 'households', LEAST(looked_after, 4)::text, NULL, count(*)
        FROM (
            SELECT g.guardian_id, count(*) AS looked_after
            FROM {LINKS} g
            WHERE g.organization_id = %s AND {_active("g.guardian_id", query)}
            GROUP BY g.guardian_id
        ) AS household
        GROUP BY 2
        UNION ALL
        SELECT CASE GROUPING(band) WHEN 0 THEN 'band' ELSE 'month' END, coalesce(band, month)::text, NULL,
               sum(customers)
        FROM (
            SELECT CASE WHEN birthday IS NULL THEN -1
                        ELSE width_bucket(date_part('year', age(%s::date, birthday)), %s::float8[])
                   END AS band,
                   date_part('month', birthday)::int AS month,
                   customers
            FROM birthdays
        ) AS person
        GROUP BY GROUPING SETS ((band), (month))
        UNION ALL
        SELECT 'tag', rank::text, name, customers
        FROM (
            SELECT row_number() OVER (ORDER BY tagged.customers DESC, lower(t.name)) AS rank, t.name,
                   tagged.customers
            FROM (
                SELECT ct.tag_id, count(*) AS customers
                FROM {TAGGED} ct
                WHERE ct.organization_id = %s AND {_active("ct.customer_id", query)}
                GROUP BY ct.tag_id
            ) AS tagged
            JOIN {TAGS} t ON t.organization_id = %s AND t.id = tagged.tag_id
        ) AS ranked
        WHERE rank <= %s
        """
    last = len(thresholds) - 1
    params = [
        *cte_params,
        thresholds,
        end,
        *scanned_params,
        *scanned_params,
        last,
        last,
        last,
        *scanned_params,
        query.organization.pk,
        query.organization.pk,
        start,
        end,
        query.organization.pk,
        query.end,
        AGE_LIMITS,
        query.organization.pk,
        query.organization.pk,
        TOP_TAGS,
    ]
    found: dict[str, list[tuple]] = {}
    # A segment's population stays in memory: materialized once, read by every section. Parallel workers are
    # off for the roster's short queries (settings); these are long scans. The planner reckons a bucket of
    # created_at has as many values as created_at itself, so it would not hand the scan to workers.
    with (
        db_setting("work_mem", "64MB"),
        db_setting("max_parallel_workers_per_gather", "2"),
        db_setting("parallel_tuple_cost", "0.01"),
        connection.cursor() as cursor,
    ):
        cursor.execute(sql, params)
        for section, key, detail, count in cursor.fetchall():
            found.setdefault(section, []).append((key, detail, int(count)))
    return found


def _percent(part: int, whole: int) -> float | None:
    return round(100 * part / whole, 1) if whole else None


def period_label(day: date, every: str) -> str:
    return day.strftime("%b %Y") if every == "month" else f"{day:%b} {day.day}, {day.year}"


def growth(query: ReportQuery, found: dict) -> ReportTable:
    """New customers per week or month (weeks start on Monday), by source, empty periods included."""
    sources = list(Source)
    starts = period_starts(query)
    periods: dict[date, dict[str, int]] = {day: {} for day in starts}
    for number, source, customers in found.get("growth", []):
        periods[starts[int(number) - 1]][source] = customers
    rows = [
        [period_label(period, query.every), *[counts.get(s.value, 0) for s in sources], sum(counts.values())]
        for period, counts in periods.items()
    ]
    added = sum(row[-1] for row in rows)
    labels = [row[0] for row in rows]
    chart = {
        "id": "chart-growth",
        "type": "bar",
        "stacked": True,
        "integer": True,
        "labels": labels,
        "series": [
            {"label": s.label, "data": [row[index + 1] for row in rows]}
            for index, s in enumerate(sources)
            if any(row[index + 1] for row in rows)
        ],
    }
    return ReportTable(
        title="New customers by source",
        headers=["Week of" if query.every == "week" else "Month", *[s.label for s in sources], "Total"],
        rows=rows if added else [],
        chart=chart,
        note=f"{added:,} customers added in the period, by where they came from."
        + (" Weeks start on Monday." if query.every == "week" else ""),
        empty="No customer was added in this period. Add customers, import a list or share a sign-up form, "
        "or choose a longer period.",
    )


def standing(found: dict) -> tuple[ReportTable, int]:
    """Active and archived at the end of the period, online accounts and guests; and how many are active."""
    counts = {key: customers for key, _, customers in found["standing"]}
    active, archived, claimed, guests, active_now = (
        counts[key] for key in ("active", "archived", "claimed", "guests", "active_now")
    )
    rows = [
        ["Active at the end of the period", active],
        ["Archived by the end of the period", archived],
        ["With an online account (a login linked)", claimed],
        ["Without an online account", active_now - claimed],
        ["Guests (family members with no email and no login)", guests],
    ]
    table = ReportTable(
        title="Customers at the end of the period",
        headers=["Customers", "Count"],
        rows=rows if active or archived or active_now else [],
        note="Online accounts and guests count the customers active today. A guest is someone a guardian "
        "looks after, added with a name and birthday only: no email, no login of their own.",
        empty="No customer yet. Add one on the Customers page or import a list.",
    )
    return table, active_now


def invitations(found: dict) -> ReportTable:
    """Account invitations sent in the period, and how many of those became claimed accounts."""
    counts = {key: invitations for key, _, invitations in found["invitations"]}
    sent, claimed = counts["sent"], counts["claimed"]
    conversion = _percent(claimed, sent)
    return ReportTable(
        title="Account invitations",
        headers=["Invitations", "Count"],
        rows=[["Sent in the period", sent], ["Claimed since", claimed], ["Conversion (%)", conversion]]
        if sent
        else [],
        note="Invitations to claim an online account whose latest email went out in the period.",
        empty="No account invitation went out in this period. Invite customers to claim their account from "
        "their profile, or from the roster for a whole selection.",
    )


def households(found: dict) -> ReportTable:
    """Households as Families lists them: an active guardian and the people they look after."""
    sizes = {int(size): households for size, _, households in found.get("households", [])}
    labels = {1: "1 person", 2: "2 people", 3: "3 people", 4: "4 or more"}
    rows = [[label, sizes.get(size, 0)] for size, label in labels.items()]
    return ReportTable(
        title="Households",
        headers=["Looking after", "Households"],
        rows=rows if sizes else [],
        note=f"{sum(sizes.values()):,} households: a household is a guardian with the people they look "
        "after, as Families lists them.",
        empty="No household yet. Link a guardian and the people they look after from a profile's People box.",
    )


def ages_and_birthdays(query: ReportQuery, found: dict) -> tuple[ReportTable, ReportTable]:
    """Age bands on the last day of the period and birthday months, of active customers."""
    bands = {int(band): customers for band, _, customers in found.get("band", [])}
    months = {int(month): customers for month, _, customers in found.get("month", []) if month}
    unknown = bands.pop(-1, 0)
    band_rows = [[label, bands.get(index, 0)] for index, label in enumerate(AGE_BANDS)]
    month_rows = [[label, months.get(index, 0)] for index, label in enumerate(MONTHS, start=1)]
    known = sum(bands.values())

    def chart(key: str, rows: list, label: str) -> dict:
        return {
            "id": f"chart-{key}",
            "type": "bar",
            "integer": True,
            "labels": [row[0] for row in rows],
            "series": [{"label": label, "data": [row[1] for row in rows]}],
        }

    ages = ReportTable(
        title="Ages",
        headers=["Age", "Customers"],
        rows=band_rows if known else [],
        chart=chart("ages", band_rows, "Customers"),
        note=f"Active customers by their age on {query.end:%b} {query.end.day}, {query.end.year}; "
        f"{unknown:,} without a birthday on file.",
        empty="No active customer has a birthday on file. Ask for it on the sign-up forms (Settings → "
        "Required fields) or add it on profiles.",
    )
    birthdays = ReportTable(
        title="Birthday months",
        headers=["Month", "Customers"],
        rows=month_rows if known else [],
        chart=chart("birthdays", month_rows, "Birthdays"),
        note="Active customers by the month of their birthday: when to plan birthday offers.",
        empty="No active customer has a birthday on file yet.",
    )
    return ages, birthdays


def top_tags(found: dict, active: int) -> ReportTable:
    ranked = sorted((int(rank), name, customers) for rank, name, customers in found.get("tag", []))
    rows = [[name, customers, _percent(customers, active)] for _, name, customers in ranked]
    return ReportTable(
        title="Top tags",
        headers=["Tag", "Customers", "Of active customers (%)"],
        rows=rows,
        chart={
            "id": "chart-tags",
            "type": "bar",
            "integer": True,
            "labels": [row[0] for row in rows],
            "series": [{"label": "Customers", "data": [row[1] for row in rows]}],
        },
        note=f"The {TOP_TAGS} tags most active customers carry.",
        empty="No active customer is tagged. Tag customers from their profile or the roster's bulk actions.",
    )


def _computed(query: ReportQuery) -> list[ReportTable]:
    found = figures(query)
    standing_table, active = standing(found)
    ages, birthdays = ages_and_birthdays(query, found)
    return [
        growth(query, found),
        standing_table,
        invitations(found),
        households(found),
        ages,
        birthdays,
        top_tags(found, active),
    ]


def _cache_key(query: ReportQuery) -> str:
    """What the figures depend on besides the data (the organization is in every key already)."""
    segment = (query.segment.pk, query.segment.query, query.membership.role) if query.segment else None
    asked = repr((query.start, query.end, query.every, str(query.zone), segment))
    return f"reports:customers:{hashlib.sha256(asked.encode()).hexdigest()}"


def customer_report(query: ReportQuery) -> tuple[list[ReportTable], datetime | None]:
    """The tables, and when they were counted if they are kept ones: figures that took long to count (a
    large roster's) are kept for a few minutes, so staff paging through the report don't wait each time, and
    recounted by the worker while staff keep looking (`kept_reports_recount`)."""
    key = _cache_key(query)
    if kept := cache.get(key):
        answer = kept
    else:
        started = time.monotonic()
        answer = _computed(query), None
        if (time.monotonic() - started) * 1000 < settings.REPORT_CACHE_AFTER_MS:
            return answer
        cache.set(key, (answer[0], timezone.now()), settings.REPORT_CACHE_SECONDS)
    if query.segment is None:  # a segment is read as its viewer sees it: recounted only when asked
        _watched(key, query)
    return answer


WATCHED_KEY = "reports:customers:watched"
WATCHED_MAX = 4  # the questions recounted per organization: the default page and a few more
WATCHING_KEY = "reports:customers:watching:{}"  # per organization, in the global cache the worker sweeps


def _watched(key: str, query: ReportQuery) -> None:
    """Remember that staff look at these kept figures, until an hour after the last look."""
    watched = cache.get(WATCHED_KEY) or {}
    watched.pop(key, None)
    watched[key] = (query.start, query.end, query.every, query.membership.pk)
    cache.set(WATCHED_KEY, dict(list(watched.items())[-WATCHED_MAX:]), settings.REPORT_WATCH_SECONDS)
    caches["global"].set(WATCHING_KEY.format(query.organization.pk), True, settings.REPORT_WATCH_SECONDS)


def organizations_watching() -> list[int]:
    """The organizations whose kept figures staff are watching: one read for all of them."""
    keys = {WATCHING_KEY.format(pk): pk for pk in Organization.objects.values_list("pk", flat=True)}
    return sorted(keys[key] for key in caches["global"].get_many(keys))


def kept_reports_recount() -> int:
    """Count the current organization's watched figures again before they expire (the worker, every few
    minutes), so no one waits the second it takes at 500 k customers. Returns how many were counted."""
    watched = cache.get(WATCHED_KEY) or {}
    viewers = Membership.objects.select_related("organization").in_bulk(
        [item[-1] for item in watched.values()]
    )
    counted = 0
    for key, (start, end, every, viewer) in watched.items():
        if viewer in viewers:  # a viewer who left stops it
            query = ReportQuery(start=start, end=end, every=every, membership=viewers[viewer])
            cache.set(key, (_computed(query), timezone.now()), settings.REPORT_CACHE_SECONDS)
            counted += 1
    return counted


def customer_tables(query: ReportQuery) -> list[ReportTable]:
    return customer_report(query)[0]
