"""Roster search: one box for names, emails, phones and customer numbers, fast on large rosters.

A query is planned into a few *branches* in priority order (exact matches, then prefixes of last name, first
name, email, email domain, number). Each branch is one index-ordered query cut at the page's LIMIT, so typing
"s" on 500 k customers reads a page of index entries instead of sorting tens of thousands of matches. Only
operators that row-level security lets into index conditions are used (=, ^@; see customers.lookups): no
LIKE, no trigram. When nothing matches a name, one typo is tolerated by looking up every spelling one edit
away (btree lookups, no scan).
"""

import re
import string
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field

import phonenumbers
from django.conf import settings
from django.db.models import Q, QuerySet

# Besides the customer's own fields, search looks in other text about them (custom field values, notes): each
# such source maps the normalized query to the ids of the customers it matches, as an index range.
SearchSource = Callable[[str], QuerySet]

COUNT_CAP = 1_000  # "1,000+ matches": exact counts of common prefixes cost more than they tell
FUZZY_CAP = 500  # close matches looked at per spelling branch
_NOT_DIGITS = re.compile(r"[\s().+\-/]")


def normalize(text: str) -> str:
    """Lowercase, accents removed, spaces collapsed: "  José  O'Neil" → "jose o'neil"."""
    text = text or ""
    if text.isascii() and text.isprintable():  # most names: nothing to decompose (an import normalizes 100 k)
        return " ".join(text.lower().split())
    decomposed = unicodedata.normalize("NFKD", text)
    stripped = "".join(char for char in decomposed if not unicodedata.combining(char) and char.isprintable())
    return " ".join(stripped.casefold().split())


# A ten-digit North American number as people write it: (312) 555-0101, 312.555.0101, 312 555 0101. The
# common case, read without phonenumbers' parser (60 µs a number, which an import of 100 k rows feels); the
# result is what the parser gives (tests/test_search.py compares them).
_NANP_REGIONS = {"US", "CA"}
_NANP_NUMBER = re.compile(r"^\(?([2-9]\d\d)\)?[\s.\-]?(\d{3})[\s.\-]?(\d{4})$")


def phone_to_digits(text: str) -> str:
    """E.164 digits without '+', or "" for no phone. Raises phonenumbers.NumberParseException if invalid."""
    text = (text or "").strip()
    if not text:
        return ""
    if settings.PHONE_DEFAULT_REGION in _NANP_REGIONS and (match := _NANP_NUMBER.match(text)):
        return "1" + "".join(match.groups())
    number = phonenumbers.parse(text, settings.PHONE_DEFAULT_REGION)
    if not phonenumbers.is_possible_number(number):
        raise phonenumbers.NumberParseException(phonenumbers.NumberParseException.NOT_A_NUMBER, "impossible")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164).lstrip("+")


def refresh_keys(customer) -> None:
    """Recompute a customer's search keys from their fields (called on every save)."""
    customer.first_name, customer.last_name = customer.first_name.strip(), customer.last_name.strip()
    customer.email = customer.email.strip().lower()
    customer.first_key = normalize(customer.first_name)
    customer.last_key = normalize(customer.last_name)
    customer.name_key = f"{customer.first_key} {customer.last_key}".strip()
    customer.email_key = customer.email
    customer.email_domain = customer.email.rpartition("@")[2] if "@" in customer.email else ""
    customer.number = customer.number.strip()
    customer.number_key = normalize(customer.number)
    try:
        customer.phone_digits = phone_to_digits(customer.phone)
    except phonenumbers.NumberParseException:  # forms refuse these; imported oddities keep their digits
        customer.phone_digits = re.sub(r"\D", "", customer.phone)[:20]
    customer.phone_rev = customer.phone_digits[::-1]


def edits1(word: str) -> set[str]:
    """Every spelling one deletion, transposition, replacement or insertion away (Norvig)."""
    letters = string.ascii_lowercase + "'-"
    splits = [(word[:i], word[i:]) for i in range(len(word) + 1)]
    deletes = {left + right[1:] for left, right in splits if right}
    transposes = {left + right[1] + right[0] + right[2:] for left, right in splits if len(right) > 1}
    replaces = {left + char + right[1:] for left, right in splits if right for char in letters}
    inserts = {left + char + right for left, right in splits for char in letters}
    return (deletes | transposes | replaces | inserts) - {word, ""}


@dataclass(frozen=True, eq=False)
class Branch:
    condition: Q
    order_by: tuple[str, ...] = ("last_key", "first_key", "id")
    # (key, value) of a prefix branch ordered by that key: its rows whose key is the whole value, its head,
    # are exact matches, drawn before any branch's other rows (see _collect)
    exact: tuple[str, str] | None = None


@dataclass
class SearchPlan:
    query: str
    branches: list[Branch] = field(default_factory=list)
    fuzzy_branches: list[Branch] = field(default_factory=list)
    extra_branch: Branch | None = None  # matches of the extra sources: last, and counted apart (see below)
    extra_values: QuerySet | None = None  # the extra branch's customer ids

    @property
    def builtin_condition(self) -> Q:
        combined = Q()
        for branch in self.branches:
            combined |= branch.condition
        return combined

    @property
    def condition(self) -> Q:
        """Every match: what sorted search, "select all matching" and exports take. With extra sources, the
        ids of both kinds of match in one UNION (an OR with the sources' subquery scans the roster)."""
        if self.extra_values is None:
            return self.builtin_condition
        if not self.branches:
            return Q(pk__in=self.extra_values)
        from customers.models import Customer

        builtin_ids = Customer.objects.filter(self.builtin_condition).values("pk")
        return Q(pk__in=builtin_ids.union(self.extra_values))

    @property
    def all_branches(self) -> list[Branch]:
        return self.branches + ([self.extra_branch] if self.extra_branch else [])


def _name_branches(tokens: list[str]) -> list[Branch]:
    if len(tokens) == 1:
        (token,) = tokens
        # Exact last names, first names and numbers come first, each read as the head of its prefix branch
        # (one index range in its own order each). As one OR, a common surname ("van": 1,328 of 500 k) made
        # the planner walk the roster in name order to find the first 26, past everyone before "V" (500 ms).
        return [
            Branch(Q(last_key__prefix=token), exact=("last_key", token)),
            Branch(Q(first_key__prefix=token), ("first_key", "last_key", "id"), exact=("first_key", token)),
            Branch(Q(email_key__prefix=token), ("email_key",)),
            Branch(Q(email_domain__prefix=token), ("email_domain", "email_key")),
            Branch(Q(number_key__prefix=token), ("number_key",), exact=("number_key", token)),
        ]
    first, last = tokens[0], tokens[-1]
    return [
        Branch(Q(first_key__prefix=first, last_key__prefix=last)),
        Branch(Q(last_key__prefix=first, first_key__prefix=last)),
        Branch(Q(name_key__prefix=" ".join(tokens))),
        Branch(Q(last_key__prefix=" ".join(tokens))),  # "de la cruz", "van der berg"
    ]


def _fuzzy_branches(tokens: list[str]) -> list[Branch]:
    if len(tokens) == 1 and len(tokens[0]) >= 3:
        # Two branches, not one OR: each is then an index lookup in its own order.
        spellings = sorted(edits1(tokens[0]))
        return [
            Branch(Q(last_key__any_of=spellings)),
            Branch(Q(first_key__any_of=spellings), ("first_key", "last_key", "id")),
        ]
    if len(tokens) >= 2 and len(tokens[-1]) >= 3:
        first, last = tokens[0], tokens[-1]
        return [Branch(Q(first_key__prefix=first, last_key__any_of=sorted(edits1(last))))]
    return []


def _phone_branches(query: str, digits: str) -> list[Branch]:
    # Typed without a country code, a number is the default region's: "555 12" is a prefix of "1555 12…".
    country = str(phonenumbers.country_code_for_region(settings.PHONE_DEFAULT_REGION))
    return [
        Branch(
            Q(number_key=query) | Q(phone_digits=digits) | Q(phone_digits=country + digits), ("phone_digits",)
        ),
        Branch(Q(phone_rev__prefix=digits[::-1]), ("phone_rev",)),  # last 4-7 digits
        Branch(Q(phone_digits__prefix=country + digits), ("phone_digits",)),
        Branch(Q(phone_digits__prefix=digits), ("phone_digits",)),
        Branch(Q(number_key__prefix=query), ("number_key",)),
    ]


def _email_branches(query: str) -> list[Branch]:
    local, _, domain = query.partition("@")
    if not local:  # "@gmail"
        return [Branch(Q(email_domain__prefix=domain), ("email_domain", "email_key"))]
    return [
        Branch(Q(email_key=query), ("email_key",)),
        Branch(Q(email_key__prefix=query), ("email_key",)),
    ]


def custom_field_source(field_ids: list[int]) -> SearchSource:
    """Customers with a text custom field (of these) starting with the query."""
    from customers.models import KEY_LENGTH, CustomFieldValue

    def matches(text: str) -> QuerySet:
        values = CustomFieldValue.objects.exclude(key="")  # the key index holds only values with a key
        return values.filter(key__prefix=text[:KEY_LENGTH], field_id__in=field_ids).values("customer_id")

    return matches


def plan(raw_query: str, sources: list[SearchSource] = ()) -> SearchPlan:
    """`sources`: where else to look (after the built-in fields), see SearchSource."""
    query = normalize(raw_query)
    search = SearchPlan(query)
    if not query:
        return search
    digits = _NOT_DIGITS.sub("", query)
    if digits.isdigit() and len(digits) >= 3:
        search.branches = _phone_branches(query, digits)
    elif "@" in query:
        search.branches = _email_branches(query)
    elif "," in query:
        last, _, first = (part.strip() for part in query.partition(","))
        condition = Q(last_key__prefix=last, first_key__prefix=first) if first else Q(last_key__prefix=last)
        search.branches = [Branch(condition)]
        search.fuzzy_branches = _fuzzy_branches([first, last] if first else [last])
    else:
        tokens = query.split(" ")
        search.branches = _name_branches(tokens)
        search.fuzzy_branches = _fuzzy_branches(tokens)
    if sources and len(query) >= 2:
        first, *others = (source(query) for source in sources)
        search.extra_values = first.union(*others) if others else first
        search.extra_branch = Branch(Q(pk__in=search.extra_values))
    return search


@dataclass
class SearchPage:
    rows: list
    total: int
    total_is_capped: bool
    has_next: bool
    close_matches: bool = False


def _collect(queryset: QuerySet, branches: list[Branch], offset: int, limit: int) -> tuple[list, bool]:
    """The rows [offset, offset+limit) of the branches' matches, each customer once: first the exact matches
    heading the branches that have them, then every branch in order. A branch is read once if that is enough
    (a search with no exact match, a misspelled one above all, reads each branch once)."""
    wanted = offset + limit + 1
    rows, seen, read = [], set(), {}

    def rows_of(branch: Branch) -> list:
        """Enough of the branch's rows for the rest of the page, whichever of them are already shown."""
        need = wanted + len(seen)
        found, cut = read.get(branch, (None, 0))
        if found is None or (len(found) == cut < need):  # never read, or cut short of what is needed now
            found, cut = list(queryset.filter(branch.condition).order_by(*branch.order_by)[:need]), need
            read[branch] = found, cut
        return found

    heads = [branch for branch in branches if branch.exact]
    for branch, head_only in [(branch, True) for branch in heads] + [(branch, False) for branch in branches]:
        for customer in rows_of(branch):
            if head_only and getattr(customer, branch.exact[0]) != branch.exact[1]:
                break  # ordered by that key, so the exact matches come first
            if customer.pk not in seen:
                seen.add(customer.pk)
                rows.append(customer)
        if len(rows) >= wanted:
            break
    return rows[offset : offset + limit], len(rows) > offset + limit


def capped_count(queryset: QuerySet) -> tuple[int, bool]:
    count = queryset.order_by()[: COUNT_CAP + 1].count()
    return min(count, COUNT_CAP), count > COUNT_CAP


def capped_match_count(queryset: QuerySet, search: SearchPlan) -> tuple[int, bool]:
    """How many customers match, up to COUNT_CAP. Built-in and extra matches are counted apart and merged:
    an OR with the extra sources' subquery makes PostgreSQL expect half the roster to match and scan it all,
    where each part alone is an index range that stops at the cap."""
    if search.extra_branch is None:
        return capped_count(queryset.filter(search.condition))
    parts = (
        [search.builtin_condition, search.extra_branch.condition]
        if search.branches
        else [search.extra_branch.condition]
    )
    ids = set()
    for condition in parts:
        ids.update(queryset.filter(condition).order_by().values_list("pk", flat=True)[: COUNT_CAP + 1])
    return min(len(ids), COUNT_CAP), len(ids) > COUNT_CAP


def search_page(
    queryset: QuerySet, raw_query: str, *, offset: int, limit: int, sources: list[SearchSource] = ()
) -> SearchPage:
    """A page of customers matching `raw_query` within `queryset`, best matches first."""
    search = plan(raw_query, sources)
    rows, has_next = _collect(queryset, search.all_branches, offset, limit)
    if rows and not offset and not has_next:  # every branch was read to its end: these are all the matches
        return SearchPage(rows, len(rows), False, False)
    if rows or offset:
        total, capped = capped_match_count(queryset, search)
        return SearchPage(rows, max(total, len(rows)), capped, has_next)
    # Close matches: first the few customers spelled one edit away (index lookups), then the filters on them
    # alone; with the filters in the same query the planner may intersect whole filter sets first.
    close = set()
    for branch in search.fuzzy_branches:
        close.update(queryset.model.objects.filter(branch.condition).values_list("pk", flat=True)[:FUZZY_CAP])
    if not close:
        return SearchPage([], 0, False, False)
    rows, has_next = _collect(queryset.filter(pk__any_of=list(close)), search.fuzzy_branches, 0, limit)
    return SearchPage(rows, len(rows), False, has_next, close_matches=bool(rows))
