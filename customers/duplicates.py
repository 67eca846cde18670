# ruff: noqa: S608 - SQL assembled from this module's constants and registered apps' SQL; values are parameters
"""The duplicate scorer: one SQL scoring of customer pairs, used by the finder's scans, the profile, the staff
form, sign-ups, intake forms and the import dry run.

Candidates come from blocking keys, each an equality PostgreSQL answers with an index (led by
organization_id) or a hash join, never all pairs: the normalized email, the phone's last ten digits, the
address key, the birthday with the soundex of a name part, and what feature apps register
(customers.extend.DuplicateSignal: a shared guardian). Only candidate pairs are scored. A key shared by more
than CROWD customers (an office phone, a placeholder email) says nothing about identity and blocks nothing.

Emails are compared as the mailbox sees them (customers.models.duplicates.EMAIL_KEY_SQL): case ignored and a
+tag dropped for every provider, dots in the local part ignored only for Gmail/Googlemail (other providers
deliver a.b@ and ab@ to different people). Names are compared on their search keys (case and accents
dropped): the same, swapped first/last, a nickname (customers.nicknames) or a typo (first and last name each
the same or one typo apart: one edit, or two letters swapped; names under 4 letters
get none, "Mia" and "Max" are two people).

Points: a name match (same 40, swapped or nickname 35, typo 30), the same birthday 25, email 45, phone 30,
address 20, each signal its points; different birthdays (both known) −60. Without a name match and without
the same email a pair scores at most 40: a household shares phone and address, not a person. 80+ is
"likely", 50–79 "possible"; below 50 nothing is said.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from types import SimpleNamespace

from django.db import connection

from customers import extend
from customers.models import Customer
from customers.models.duplicates import ADDRESS_KEY_SQL, EMAIL_KEY_SQL, PHONE_KEY_SQL
from customers.nicknames import NICKNAME_GROUPS
from customers.search import normalize, refresh_keys

LIKELY = 80
POSSIBLE = 50
CROWD = 50

NAME_POINTS = {"same_name": 40, "swapped": 35, "nickname": 35, "typo": 30}
POINTS = {"birthday": 25, "email": 45, "phone": 30, "address": 20, "different_birthday": -60}
NAMELESS_CAP = 40

REASON_LABELS = {
    "email": "Same email",
    "phone": "Same phone",
    "name_birthday": "Same name and birthday",
    "same_name": "Same name",
    "swapped": "First and last name swapped",
    "nickname": "Nickname",
    "typo": "Similar name (a typo)",
    "birthday": "Same birthday",
    "address": "Same address",
    "different_birthday": "Different birthdays",
}


def reason_labels() -> dict[str, str]:
    """Every reason with its label, feature apps' signals included."""
    return REASON_LABELS | {signal.key: signal.label for signal in extend.registered(extend.DuplicateSignal)}


def level_of(score: int) -> str:
    return "likely" if score >= LIKELY else "possible" if score >= POSSIBLE else ""


def _nicknames() -> tuple[list[str], list[int]]:
    names, groups = [], []
    for group, members in enumerate(NICKNAME_GROUPS):
        for name in members:
            names.append(normalize(name))
            groups.append(group)
    return names, groups


NICKNAMES = _nicknames()

_PEOPLE_COLUMNS = "id, first_key, last_key, birthday, email_match, phone_match, address_match"

# The roster side: never materialized, so a probe of a few customers reads the keys' indexes.
_PEOPLE = f"""
    SELECT c.{_PEOPLE_COLUMNS.replace(", ", ", c.")}, soundex(c.first_key) AS sf, soundex(c.last_key) AS sl,
           nick.groups
    FROM customers_customer c LEFT JOIN nick ON nick.name = c.first_key
    WHERE c.archived_at IS NULL
"""

# The blocking keys alone (no nickname join): what a probe's index lookups read.
_KEYS = (
    "SELECT id, birthday, email_match, phone_match, address_match, soundex(first_key) AS sf, "
    "soundex(last_key) AS sl FROM customers_customer WHERE archived_at IS NULL"
)

_BLOCKS = {
    "email": ("p.email_match <> ''", "c.email_match = p.email_match AND c.email_match <> ''"),
    "phone": ("p.phone_match <> ''", "c.phone_match = p.phone_match AND c.phone_match <> ''"),
    "address": ("p.address_match <> ''", "c.address_match = p.address_match AND c.address_match <> ''"),
    "birthday": (
        "p.birthday IS NOT NULL",
        "c.birthday = p.birthday AND (c.sl = p.sl OR c.sf = p.sf OR c.sl = p.sf OR c.sf = p.sl)",
    ),
}
_KEY_BLOCKS = ("email", "phone", "address")


def _candidates(whole_roster: bool) -> str:
    """(pid, cid) pairs: a probe and a roster customer sharing a blocking key. Over the whole roster, crowded
    keys are grouped out and each pair comes once (cid > pid); for a few probes, each reads at most CROWD
    customers per key through its index."""
    parts = []
    for block, (probe_has_key, join) in _BLOCKS.items():
        if whole_roster:
            crowded = (
                f" AND p.{block}_match NOT IN (SELECT {block}_match FROM people GROUP BY 1 "
                f"HAVING count(*) > {CROWD})"
                if block in _KEY_BLOCKS
                else ""
            )
            parts.append(
                f"SELECT p.id AS pid, c.id AS cid FROM probe p JOIN people c ON {join} AND c.id > p.id "
                f"WHERE {probe_has_key}{crowded}"
            )
        else:
            parts.append(
                f"SELECT p.id AS pid, c.id AS cid FROM probe p CROSS JOIN LATERAL (SELECT c.id FROM "
                f"({_KEYS}) c WHERE {join} AND c.id <> p.id LIMIT {CROWD}) c WHERE {probe_has_key}"
            )
    for signal in extend.registered(extend.DuplicateSignal):
        pairs = signal.pairs(None if whole_roster else "probe")
        parts.append(
            f"SELECT s.a AS pid, s.b AS cid FROM ({pairs}) s"
            if whole_roster
            else f"SELECT CASE WHEN s.a IN (SELECT id FROM probe) THEN s.a ELSE s.b END AS pid, "
            f"CASE WHEN s.a IN (SELECT id FROM probe) THEN s.b ELSE s.a END AS cid FROM ({pairs}) s"
        )
    return "\nUNION ALL\n".join(parts)


def _sorted_letters(column: str) -> str:
    return f"(SELECT string_agg(letter, '' ORDER BY letter) FROM regexp_split_to_table({column}, '') letter)"


def _one_typo(part: str) -> str:
    """SQL: x's and y's `part` (first_key or last_key) one typo apart."""
    x, y = f"x.{part}", f"y.{part}"
    return (
        f"({x} <> {y} AND least(length({x}), length({y})) >= 4 AND CASE levenshtein({x}, {y}) "
        f"WHEN 1 THEN true WHEN 2 THEN length({x}) = length({y}) "
        f"AND {_sorted_letters(x)} = {_sorted_letters(y)} ELSE false END)"
    )


def _roster_side(whole_roster: bool) -> str:
    """The candidate's row `y`: from the materialized roster in a full scan, else one primary-key lookup a
    pair (OFFSET 0 keeps the planner from hashing the whole roster for a few candidates)."""
    if whole_roster:
        return "JOIN people y ON y.id = pr.cid"
    return (
        f"CROSS JOIN LATERAL (SELECT {_PEOPLE_COLUMNS}, "
        "(SELECT groups FROM nick WHERE nick.name = c.first_key) AS groups FROM customers_customer c "
        "WHERE c.id = pr.cid AND c.archived_at IS NULL OFFSET 0) y"
    )


def _scored(whole_roster: bool) -> str:
    """SQL of the scored pairs, given the CTEs `nick`, `people` and `probe`: (a, b, score, reasons), a < b,
    every candidate pair once, whatever its score."""
    signals = extend.registered(extend.DuplicateSignal)
    signal_joins = "".join(
        f"\n LEFT JOIN ({signal.pairs(None if whole_roster else 'probe')}) s{index} "
        f"ON s{index}.a = least(pr.pid, pr.cid) AND s{index}.b = greatest(pr.pid, pr.cid)"
        for index, signal in enumerate(signals)
    )
    signal_facts = "".join(f", s{index}.a IS NOT NULL AS signal{index}" for index in range(len(signals)))
    signal_points = "".join(
        f" + CASE WHEN signal{index} THEN {signal.points} ELSE 0 END" for index, signal in enumerate(signals)
    )
    signal_reasons = "".join(
        f", CASE WHEN signal{index} THEN '{signal.key}' END" for index, signal in enumerate(signals)
    )
    name_points = (
        f"CASE WHEN same_name THEN {NAME_POINTS['same_name']} WHEN swapped THEN {NAME_POINTS['swapped']} "
        f"WHEN nickname THEN {NAME_POINTS['nickname']} WHEN typo THEN {NAME_POINTS['typo']} ELSE 0 END"
    )
    raw = (
        f"{name_points} + CASE WHEN same_birthday THEN {POINTS['birthday']} ELSE 0 END"
        f" + CASE WHEN email THEN {POINTS['email']} ELSE 0 END"
        f" + CASE WHEN phone THEN {POINTS['phone']} ELSE 0 END"
        f" + CASE WHEN address THEN {POINTS['address']} ELSE 0 END"
        f" + CASE WHEN different_birthday THEN {POINTS['different_birthday']} ELSE 0 END{signal_points}"
    )
    return f"""
    pairs AS (
        SELECT DISTINCT ON (least(pid, cid), greatest(pid, cid)) pid, cid FROM candidates
    ),
    facts AS (
        SELECT least(pr.pid, pr.cid) AS a, greatest(pr.pid, pr.cid) AS b,
            x.email_match <> '' AND x.email_match = y.email_match AS email,
            x.phone_match <> '' AND x.phone_match = y.phone_match AS phone,
            x.address_match <> '' AND x.address_match = y.address_match AS address,
            coalesce(x.birthday = y.birthday, false) AS same_birthday,
            coalesce(x.birthday <> y.birthday, false) AS different_birthday,
            x.first_key = y.first_key AND x.last_key = y.last_key AS same_name,
            x.first_key = y.last_key AND x.last_key = y.first_key AND x.first_key <> x.last_key AS swapped,
            x.last_key = y.last_key AND x.first_key <> y.first_key AND coalesce(x.groups && y.groups, false)
                AS nickname,
            NOT (x.first_key = y.first_key AND x.last_key = y.last_key)
                AND (x.first_key = y.first_key OR {_one_typo("first_key")})
                AND (x.last_key = y.last_key OR {_one_typo("last_key")}) AS typo
            {signal_facts}
        FROM pairs pr JOIN probe x ON x.id = pr.pid {_roster_side(whole_roster)}{signal_joins}
    ),
    scored AS (
        SELECT a, b,
            greatest(0, least(100, CASE WHEN {name_points} = 0 AND NOT email
                THEN least({raw}, {NAMELESS_CAP}) ELSE {raw} END))::int AS score,
            array_remove(ARRAY[
                CASE WHEN email THEN 'email' END, CASE WHEN phone THEN 'phone' END,
                CASE WHEN same_name AND same_birthday THEN 'name_birthday'
                    WHEN same_name THEN 'same_name' END,
                CASE WHEN swapped AND NOT same_name THEN 'swapped' END,
                CASE WHEN nickname THEN 'nickname' END,
                CASE WHEN typo AND NOT (swapped OR nickname) THEN 'typo' END,
                CASE WHEN same_birthday AND NOT same_name THEN 'birthday' END,
                CASE WHEN address THEN 'address' END{signal_reasons},
                CASE WHEN different_birthday THEN 'different_birthday' END
            ], NULL) AS reasons
        FROM facts
    )"""


_NICK_CTE = (
    "nick AS MATERIALIZED (SELECT name, array_agg(grp) AS groups FROM unnest(%(nick_names)s::text[], "
    "%(nick_groups)s::int[]) AS n(name, grp) GROUP BY name)"
)


def scoring_sql(probe: str, *, whole_roster: bool = False) -> str:
    """The whole query's WITH clause, ending in the CTE `scored`. `probe` selects the probes' people columns
    (as _PEOPLE does); `whole_roster` when the probe is every customer (the finder's full scan)."""
    return (
        f"WITH {_NICK_CTE},\n people AS {'MATERIALIZED' if whole_roster else 'NOT MATERIALIZED'} ({_PEOPLE}),"
        f"\n probe AS MATERIALIZED ({probe}),\n candidates AS ({_candidates(whole_roster)}),"
        f"{_scored(whole_roster)}"
    )


def scoring_params(**extra) -> dict:
    names, groups = NICKNAMES
    return {"nick_names": names, "nick_groups": groups, **extra}


def probe_of_customers(condition: str) -> str:
    """Probe SQL: the roster's customers meeting `condition` (SQL on `c`)."""
    return f"SELECT * FROM ({_PEOPLE}) c WHERE {condition}"


@dataclass(frozen=True)
class Match:
    """A scored pair: customer ids a < b (a is 0 for someone not saved yet)."""

    a: int
    b: int
    score: int
    reasons: list[str]

    @property
    def level(self) -> str:
        return level_of(self.score)

    def other(self, customer_id: int) -> int:
        return self.b if self.a == customer_id else self.a


def _run(sql: str, params: dict) -> list[Match]:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return [Match(a, b, score, reasons) for a, b, score, reasons in cursor.fetchall()]


def matches_for_customers(customer_ids: Iterable[int], *, minimum: int = POSSIBLE) -> list[Match]:
    """Pairs of these saved customers with anyone on the roster scoring `minimum`+, best first."""
    sql = scoring_sql(probe_of_customers("c.id = ANY(%(ids)s)")) + (
        " SELECT a, b, score, reasons FROM scored WHERE score >= %(minimum)s ORDER BY score DESC, a, b"
    )
    return _run(sql, scoring_params(ids=list(customer_ids), minimum=minimum))


@dataclass
class Person:
    """Someone not on the roster yet: a form being filled in, an import row."""

    first_name: str = ""
    last_name: str = ""
    email: str = ""
    phone: str = ""
    birthday: date | None = None
    address_line1: str = ""
    postal_code: str = ""


def _probe_rows(people: list[Person]) -> tuple[str, dict]:
    """Probe SQL of unsaved people (ids -1, -2, … in order), with their keys normalized as a customer's."""
    columns = {"first": [], "last": [], "email": [], "digits": [], "birthday": [], "line1": [], "postal": []}
    for person in people:
        customer = SimpleNamespace(
            first_name=person.first_name or "",
            last_name=person.last_name or "",
            email=person.email or "",
            phone=person.phone or "",
            number="",
        )
        refresh_keys(customer)
        columns["first"].append(customer.first_key)
        columns["last"].append(customer.last_key)
        columns["email"].append(customer.email)
        columns["digits"].append(customer.phone_digits)
        columns["birthday"].append(person.birthday)
        columns["line1"].append(person.address_line1 or "")
        columns["postal"].append(person.postal_code or "")
    raw = (
        "SELECT -n::bigint AS id, first_key, last_key, birthday, email, digits, line1, postal "
        "FROM unnest(%(p_first)s::text[], %(p_last)s::text[], %(p_email)s::text[], %(p_digits)s::text[], "
        "%(p_birthday)s::date[], %(p_line1)s::text[], %(p_postal)s::text[]) WITH ORDINALITY "
        "AS r(first_key, last_key, email, digits, birthday, line1, postal, n)"
    )
    probe = (
        "SELECT r.id, r.first_key, r.last_key, r.birthday, "
        f"{EMAIL_KEY_SQL.format(email='r.email')} AS email_match, "
        f"{PHONE_KEY_SQL.format(digits='r.digits')} AS phone_match, "
        f"{ADDRESS_KEY_SQL.format(line1='r.line1', postal='r.postal')} AS address_match, "
        "soundex(r.first_key) AS sf, soundex(r.last_key) AS sl, nick.groups "
        f"FROM ({raw}) r LEFT JOIN nick ON nick.name = r.first_key"
    )
    return probe, {f"p_{name}": values for name, values in columns.items()}


def matches_for_people(people: list[Person], *, minimum: int = POSSIBLE) -> list[Match]:
    """Roster customers who may be these unsaved people, scoring `minimum`+: Match.a is -(index + 1) of the
    person, Match.b the customer."""
    if not people:
        return []
    probe, params = _probe_rows(people)
    sql = scoring_sql(probe) + (
        " SELECT a, b, score, reasons FROM scored WHERE score >= %(minimum)s ORDER BY a DESC, score DESC, b"
    )
    return _run(sql, scoring_params(minimum=minimum, **params))


PERSON_FIELDS = ("first_name", "last_name", "email", "phone", "birthday", "address_line1", "postal_code")


def person_from_data(data: dict) -> Person:
    """A Person from a customer form's cleaned data (or an import row's values)."""
    return Person(**{name: data[name] for name in PERSON_FIELDS if data.get(name)})


@dataclass(frozen=True)
class Duplicate:
    """A roster customer who may be the same person, with the score and its reasons' labels."""

    customer: Customer
    score: int
    reasons: list[str]

    @property
    def level(self) -> str:
        return level_of(self.score)


def possible_duplicates(*, data: dict, exclude_pk: int | None = None, limit: int = 5) -> list[Duplicate]:
    """Customers who may be the person a staff form describes (`exclude_pk`: the one being edited), best
    first: two queries."""
    matches = [match for match in matches_for_people([person_from_data(data)]) if match.b != exclude_pk]
    matches = matches[:limit]
    customers = Customer.objects.in_bulk([match.b for match in matches])
    labels = reason_labels()
    return [
        Duplicate(customers[match.b], match.score, [labels.get(key, key) for key in match.reasons])
        for match in matches
        if match.b in customers
    ]
