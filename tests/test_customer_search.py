"""Roster search: normalization, what matches, and in what order."""

import pytest

from accounts.tenancy import tenant
from customers.models import Customer
from customers.search import edits1, normalize, phone_to_digits, plan, search_page
from tests.factories import customer


def test_normalize_folds_case_accents_and_spaces():
    assert normalize("  José  MÜLLER ") == "jose muller"
    assert normalize("Zoë O'Brien") == "zoe o'brien"


def test_phone_numbers_are_stored_as_e164_digits_whatever_the_format():
    assert phone_to_digits("(555) 123-4567") == "15551234567"
    assert phone_to_digits("555.123.4567") == "15551234567"
    assert phone_to_digits("+44 20 7946 0958") == "442079460958"
    assert phone_to_digits("") == ""


def test_one_typo_spellings_include_transpositions():
    assert "smith" in edits1("smtih")
    assert "smith" in edits1("smith".replace("i", ""))
    assert "smtih" not in edits1("smtih")


def test_queries_are_read_as_what_they_look_like():
    assert plan("jane@").branches[0].order_by == ("email_key",)
    assert plan("(555) 12").branches[1].condition.children == [("phone_rev__prefix", "21555")]
    doe_ja = plan("Doe, Ja").branches[0].condition.children
    assert doe_ja == [("first_key__prefix", "ja"), ("last_key__prefix", "doe")]
    assert plan("").branches == []


@pytest.fixture
def roster(org_a, org_b, alice):
    with tenant(org_b):
        customer(first_name="Jane", last_name="Smith", email="jane.smith@beta.example", phone="555-123-4567")
    with tenant(org_a):
        people = {
            "jane": customer(
                first_name="Jane", last_name="Smith", email="jane@alpha.example", phone="(555) 123-4567"
            ),
            "john": customer(
                first_name="John", last_name="Smithers", email="js@alpha.example", phone="312 555 9876"
            ),
            "smitty": customer(first_name="Smitty", last_name="Adams", email="smitty@alpha.example"),
            "jose": customer(first_name="José", last_name="Núñez", phone="+1 415 555 0199", number="A-1001"),
            "blacksmith": customer(first_name="Ann", last_name="Blacksmith"),
        }
        yield people


def names(page) -> list[str]:
    return [c.full_name for c in page.rows]


def find(query: str, **kwargs) -> list[str]:
    return names(search_page(Customer.objects.all(), query, offset=0, limit=kwargs.get("limit", 25)))


def test_exact_matches_first_then_last_first_and_email_prefixes(roster, org_a, alice):
    with tenant(org_a):
        customer(first_name="Smith", last_name="Zimmer", by=alice)
        assert find("smith") == ["Jane Smith", "Smith Zimmer", "John Smithers"]
        assert find("smi") == ["Jane Smith", "John Smithers", "Smith Zimmer", "Smitty Adams"]
        assert find("blacksmith") == ["Ann Blacksmith"]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("jane smith", ["Jane Smith"]),
        ("smith, jane", ["Jane Smith"]),
        ("Smith, J", ["Jane Smith", "John Smithers"]),
        ("jose", ["José Núñez"]),
        ("NUNEZ", ["José Núñez"]),
        ("jane@alpha", ["Jane Smith"]),
        ("alpha.example", ["Jane Smith", "John Smithers", "Smitty Adams"]),
        ("@alpha", ["Jane Smith", "John Smithers", "Smitty Adams"]),
        ("smitty@alpha.example", ["Smitty Adams"]),
        ("(555) 123-4567", ["Jane Smith"]),
        ("555 12", ["Jane Smith"]),
        ("4567", ["Jane Smith"]),
        ("5559876", ["John Smithers"]),
        ("a-1001", ["José Núñez"]),
    ],
)
def test_staff_find_customers_by_any_handle(roster, org_a, query, expected):
    with tenant(org_a):
        assert find(query) == expected


def test_one_typo_shows_close_matches(roster, org_a):
    with tenant(org_a):
        page = search_page(Customer.objects.all(), "Smtih", offset=0, limit=25)
    assert page.close_matches
    assert names(page) == ["Jane Smith"]


def test_another_organizations_customers_never_match(roster, org_a, org_b):
    with tenant(org_a):
        assert "beta" not in " ".join(
            c.email for c in search_page(Customer.objects.all(), "jane", offset=0, limit=25).rows
        )
    with tenant(org_b):
        assert find("smith") == ["Jane Smith"]
        assert find("smithers") == []


def test_pages_do_not_repeat_or_skip(roster, org_a):
    with tenant(org_a):
        first = search_page(Customer.objects.all(), "smi", offset=0, limit=2)
        second = search_page(Customer.objects.all(), "smi", offset=2, limit=2)
    assert first.has_next and not second.has_next
    assert names(first) + names(second) == ["Jane Smith", "John Smithers", "Smitty Adams"]
    assert first.total == 3


def test_a_search_whose_matches_fit_on_the_page_is_not_counted_again(roster, org_a):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with tenant(org_a), CaptureQueriesContext(connection) as captured:
        page = search_page(Customer.objects.all(), "smi", offset=0, limit=3)
    assert names(page) == ["Jane Smith", "John Smithers", "Smitty Adams"]
    assert (page.total, page.total_is_capped, page.has_next) == (3, False, False)
    assert not any("COUNT(" in query["sql"] for query in captured.captured_queries)
    with tenant(org_a):
        cut = search_page(Customer.objects.all(), "smi", offset=0, limit=2)
        archived = search_page(Customer.objects.filter(archived_at__isnull=False), "smi", offset=0, limit=3)
    assert (cut.total, cut.has_next, archived.total, archived.rows) == (3, True, 0, [])


def test_multi_word_last_names_match_from_their_first_word(org_a, org_b, alice):
    with tenant(org_a):
        customer(first_name="Ana", last_name="De la Cruz", by=alice)
        assert find("de la c") == ["Ana De la Cruz"]
        assert find("ana de") == ["Ana De la Cruz"]


def test_search_uses_indexes_under_row_level_security(roster, org_a):
    """As the app role, prefix matches must be index ranges: LIKE would scan the whole organization."""
    from django.db import connection

    with tenant(org_a):
        queryset = Customer.objects.filter(last_key__prefix="smi").order_by("last_key", "first_key", "id")[
            :25
        ]
        sql, params = queryset.query.sql_with_params()
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL enable_seqscan = off")
            cursor.execute("SET LOCAL enable_sort = off")  # tiny test tables: ask for the ordered index path
            cursor.execute("EXPLAIN " + sql, params)
            plan_text = "\n".join(row[0] for row in cursor.fetchall())
    assert "Index Cond" in plan_text and "last_key)::text >= 'smi'" in plan_text


@pytest.mark.parametrize(
    "typed",
    [
        "(312) 555-0101",
        "312.555.0101",
        "312 555 0101",
        "3125550101",
        "(312)555-0101",
        "212-555-0199",
        "(905) 555 0123",
    ],
)
def test_the_quick_reading_of_north_american_numbers_agrees_with_phonenumbers(typed):
    import phonenumbers

    parsed = phonenumbers.parse(typed, "US")
    assert (
        phone_to_digits(typed) == phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)[1:]
    )


def test_exact_last_names_come_before_exact_first_names_each_an_index_range(roster, org_a, alice):
    """Each kind of exact match is read in its own index order, as the head of its prefix branch: as one OR,
    a common surname made PostgreSQL walk the whole roster in name order to find a page of them (~500 ms at
    500 k customers)."""
    from django.db import connection

    with tenant(org_a):
        customer(first_name="Van", last_name="Aaron", by=alice)
        customer(first_name="Anna", last_name="Vanderbilt", by=alice)
        customer(first_name="Anna", last_name="Van", by=alice)
        assert find("van") == ["Anna Van", "Van Aaron", "Anna Vanderbilt"]
        last_names = plan("van").branches[0]
        assert last_names.exact == ("last_key", "van")
        sql, params = (
            Customer.objects.filter(last_names.condition)
            .order_by(*last_names.order_by)[:26]
            .query.sql_with_params()
        )
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL enable_seqscan = off")
            cursor.execute("SET LOCAL enable_bitmapscan = off")
            cursor.execute("SET LOCAL enable_sort = off")
            cursor.execute("EXPLAIN " + sql, params)
            plan_text = "\n".join(row[0] for row in cursor.fetchall())
    assert "Index Cond" in plan_text and "last_key)::text ^@ 'van'" in plan_text
    assert "Sort" not in plan_text  # read in the index's order: the exact matches come first


def test_a_misspelled_name_reads_each_branch_once(roster, org_a):
    """No exact match, no prefix match: the exact matches come from the prefix branches' (empty) reads."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with tenant(org_a), CaptureQueriesContext(connection) as captured:
        assert find("smiht") == ["Jane Smith"]
    reads = [query["sql"] for query in captured.captured_queries if '"customers_customer"' in query["sql"]]
    # five name branches, then the close spellings' two lookups and their page (last names, first names)
    assert len(reads) == 5 + 2 + 2, reads
