"""Reports → Customers, computed in SQL (aggregates over the population, never its rows in Python): growth by
source, active and archived, online accounts and invitations, households and guests, ages, birthday months and
top tags. Each section is a customers.reports.ReportTable: its page section, its CSV and its XLSX sheet."""

from datetime import date

from django.db import connection

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


def _rows(sql: str, params: list) -> list[tuple]:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def _population(query: ReportQuery) -> tuple[str, list]:
    """The SQL that keeps customer `c` to the report's population (nothing to add for everyone)."""
    if query.segment is None:
        return "", []
    sql, params = query.population().order_by().values("pk").query.sql_with_params()
    return f" AND c.id IN ({sql})", list(params)


def _percent(part: int, whole: int) -> float | None:
    return round(100 * part / whole, 1) if whole else None


def period_label(day: date, every: str) -> str:
    return day.strftime("%b %Y") if every == "month" else f"{day:%b} {day.day}, {day.year}"


def growth(query: ReportQuery) -> ReportTable:
    """New customers per week or month (weeks start on Monday), by source, empty periods included."""
    start, end = query.bounds()
    population, params = _population(query)
    sources = list(Source)
    found = _rows(
        f"""
        WITH counts AS (
            SELECT date_trunc(%s, c.created_at AT TIME ZONE %s) AS period, c.source, count(*) AS customers
            FROM {CUSTOMERS} c
            WHERE c.organization_id = %s AND c.created_at >= %s AND c.created_at < %s{population}
            GROUP BY 1, 2
        )
        SELECT p.period::date, counts.source, counts.customers
        FROM generate_series(date_trunc(%s, %s::timestamp), %s::timestamp, ('1 ' || %s)::interval)
            AS p(period)
        LEFT JOIN counts ON counts.period = p.period
        ORDER BY 1
        """,
        [
            query.every,
            str(query.zone),
            query.organization.pk,
            start,
            end,
            *params,
            query.every,
            query.start,
            query.end,
            query.every,
        ],
    )
    periods: dict[date, dict[str, int]] = {}
    for period, source, customers in found:
        periods.setdefault(period, {})
        if source:
            periods[period][source] = customers
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


def standing(query: ReportQuery) -> tuple[ReportTable, int]:
    """Active and archived at the end of the period, online accounts and guests; and how many are active."""
    _, end = query.bounds()
    population, params = _population(query)
    active, archived, claimed, guests, active_now = _rows(
        f"""
        SELECT count(*) FILTER (WHERE c.created_at < %s AND (c.archived_at IS NULL OR c.archived_at >= %s)),
               count(*) FILTER (WHERE c.created_at < %s AND c.archived_at < %s),
               count(*) FILTER (WHERE c.archived_at IS NULL AND c.user_id IS NOT NULL),
               count(*) FILTER (
                   WHERE c.archived_at IS NULL AND c.user_id IS NULL AND c.email = ''
                   AND EXISTS (SELECT 1 FROM {LINKS} g
                               WHERE g.organization_id = c.organization_id AND g.dependant_id = c.id)
               ),
               count(*) FILTER (WHERE c.archived_at IS NULL)
        FROM {CUSTOMERS} c
        WHERE c.organization_id = %s{population}
        """,
        [end, end, end, end, query.organization.pk, *params],
    )[0]
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


def invitations(query: ReportQuery) -> ReportTable:
    """Account invitations sent in the period, and how many of those became claimed accounts."""
    start, end = query.bounds()
    population, params = _population(query)
    sent, claimed = _rows(
        f"""
        SELECT count(*), count(*) FILTER (WHERE i.claimed_at IS NOT NULL)
        FROM {INVITES} i JOIN {CUSTOMERS} c ON c.organization_id = i.organization_id AND c.id = i.customer_id
        WHERE i.organization_id = %s AND i.sent_at >= %s AND i.sent_at < %s{population}
        """,
        [query.organization.pk, start, end, *params],
    )[0]
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


def households(query: ReportQuery) -> ReportTable:
    """Households as Families lists them: an active guardian and the people they look after."""
    population, params = _population(query)
    found = dict(
        _rows(
            f"""
            SELECT LEAST(looked_after, 4), count(*)
            FROM (
                SELECT g.guardian_id, count(*) AS looked_after
                FROM {LINKS} g
                JOIN {CUSTOMERS} c ON c.organization_id = g.organization_id AND c.id = g.guardian_id
                WHERE g.organization_id = %s AND c.archived_at IS NULL{population}
                GROUP BY g.guardian_id
            ) AS household
            GROUP BY 1
            """,
            [query.organization.pk, *params],
        )
    )
    labels = {1: "1 person", 2: "2 people", 3: "3 people", 4: "4 or more"}
    rows = [[label, found.get(size, 0)] for size, label in labels.items()]
    return ReportTable(
        title="Households",
        headers=["Looking after", "Households"],
        rows=rows if found else [],
        note=f"{sum(found.values()):,} households: a household is a guardian with the people they look "
        "after, as Families lists them.",
        empty="No household yet. Link a guardian and the people they look after from a profile's People box.",
    )


def ages_and_birthdays(query: ReportQuery) -> tuple[ReportTable, ReportTable]:
    """Age bands on the last day of the period and birthday months, of active customers, in one scan."""
    population, params = _population(query)
    found = _rows(
        f"""
        SELECT GROUPING(band), band, month, count(*)
        FROM (
            SELECT CASE WHEN c.birthday IS NULL THEN -1
                        ELSE width_bucket(date_part('year', age(%s::date, c.birthday)), %s::float8[])
                   END AS band,
                   date_part('month', c.birthday)::int AS month
            FROM {CUSTOMERS} c
            WHERE c.organization_id = %s AND c.archived_at IS NULL{population}
        ) AS person
        GROUP BY GROUPING SETS ((band), (month))
        """,
        [query.end, AGE_LIMITS, query.organization.pk, *params],
    )
    bands = {band: customers for by_month, band, _, customers in found if by_month == 0}
    months = {month: customers for by_month, _, month, customers in found if by_month == 1 and month}
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


def top_tags(query: ReportQuery, active: int) -> ReportTable:
    population, params = _population(query)
    found = _rows(
        f"""
        SELECT t.name, count(*)
        FROM {TAGGED} ct
        JOIN {TAGS} t ON t.organization_id = ct.organization_id AND t.id = ct.tag_id
        JOIN {CUSTOMERS} c ON c.organization_id = ct.organization_id AND c.id = ct.customer_id
        WHERE ct.organization_id = %s AND c.archived_at IS NULL{population}
        GROUP BY t.id, t.name
        ORDER BY 2 DESC, lower(t.name)
        LIMIT %s
        """,
        [query.organization.pk, *params, TOP_TAGS],
    )
    rows = [[name, customers, _percent(customers, active)] for name, customers in found]
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


def customer_tables(query: ReportQuery) -> list[ReportTable]:
    standing_table, active = standing(query)
    ages, birthdays = ages_and_birthdays(query)
    return [
        growth(query),
        standing_table,
        invitations(query),
        households(query),
        ages,
        birthdays,
        top_tags(query, active),
    ]
