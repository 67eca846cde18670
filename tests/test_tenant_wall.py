"""Meta-tests that keep the tenant wall standing as the app grows: every new tenant table, model and URL
is checked here without anyone having to remember to add it."""

import itertools
import os
import re

import psycopg
import pytest
from django.apps import apps
from django.db import connection
from django.urls import URLPattern, URLResolver, get_resolver

from accounts import services
from accounts.models import Membership, Role, StaffInvitation
from accounts.permissions import OWNER_PERMISSIONS
from accounts.tenancy import TenantModel, TenantScopeError, tenant
from api.models import ApiKey
from billing.models import CreditEntry, ExternalSubscription, Package, Payment, Punch, PunchCard, Subscription
from bookings.models import Booking, Course, PartyPackage, Registration, Room, Session
from customers.models import (
    BulkOperation,
    Customer,
    CustomField,
    DuplicatePair,
    DuplicateScan,
    Merge,
    Segment,
)
from families.models import AffiliatedOrganization, Affiliation, GuardianLink
from imports.models import ImportJob
from intake.models import IntakeForm, PendingChange
from invites.models import PackageInvite, WaitlistEntry
from metrics.models import Metric, MetricEntry
from notes.models import Note
from privacy.models import ErasureRecord, PersonExport
from reports.models import ScheduledReport
from tags.models import Tag
from tests.canaries import canaries_seed
from tests.conftest import make_member
from waivers.models import WaiverSignature, WaiverTemplate
from webhooks.models import WebhookDelivery, WebhookEndpoint

TENANT_TABLES_LACKING_RLS = """
    SELECT c.relname FROM pg_class c
    JOIN pg_namespace n ON n.oid = c.relnamespace
    JOIN pg_attribute a ON a.attrelid = c.oid AND a.attname = 'organization_id' AND NOT a.attisdropped
    WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p')
      AND NOT (c.relrowsecurity AND c.relforcerowsecurity AND EXISTS (
        SELECT 1 FROM pg_policies p
        WHERE p.schemaname = 'public' AND p.tablename = c.relname AND p.policyname = 'tenant_isolation'
          AND p.cmd = 'ALL' AND p.qual LIKE '%app.org_id%' AND p.with_check LIKE '%app.org_id%'))
    ORDER BY 1
"""


# A foreign key between two tenant tables that no composite (organization_id, column) key backs: a plain
# key is checked without row security, so only the composite one keeps both ends in one organization.
TENANT_KEYS_LACKING_SAME_ORGANIZATION = """
    WITH tenant_table AS (
      SELECT c.oid, a.attnum AS org_column FROM pg_class c
      JOIN pg_namespace n ON n.oid = c.relnamespace
      JOIN pg_attribute a ON a.attrelid = c.oid AND a.attname = 'organization_id' AND NOT a.attisdropped
      WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p'))
    SELECT fk.conrelid::regclass::text, column_.attname FROM pg_constraint fk
    JOIN tenant_table source ON source.oid = fk.conrelid
    JOIN tenant_table target ON target.oid = fk.confrelid
    JOIN pg_attribute column_ ON column_.attrelid = fk.conrelid AND column_.attnum = fk.conkey[1]
    WHERE fk.contype = 'f' AND cardinality(fk.conkey) = 1 AND NOT EXISTS (
      SELECT 1 FROM pg_constraint same_org
      WHERE same_org.contype = 'f' AND same_org.conrelid = fk.conrelid AND same_org.confrelid = fk.confrelid
        AND same_org.conkey @> ARRAY[source.org_column, fk.conkey[1]])
    ORDER BY 1, 2
"""


# Every row-security policy in the schema, to compare with the ones the tenant wall allows.
POLICIES = """
    SELECT tablename, policyname, permissive, array_to_string(roles, ','), cmd, qual, with_check
    FROM pg_policies WHERE schemaname = 'public'
"""
TENANT_CONDITION = "(organization_id = (NULLIF(current_setting('app.org_id'::text, true), ''::text))::bigint)"
OWN_USER_CONDITION = "(user_id = (NULLIF(current_setting('app.user_id'::text, true), ''::text))::bigint)"
# Each policy beyond tenant_isolation lets a caller read exactly its own rows before a tenant is entered.
OWN_ROWS_POLICIES = {
    ("accounts_membership", "member_reads_own"): OWN_USER_CONDITION,
    ("customers_customer", "customer_reads_own"): OWN_USER_CONDITION,
    ("api_apikey", "key_lookup"): (
        "((key_hash)::text = NULLIF(current_setting('app.api_key_hash'::text, true), ''::text))"
    ),
}


def policies_unlike_the_wall(conn, tenant_tables: list[str]) -> list[tuple]:
    """Policies missing from, or beyond, tenant_isolation on every tenant table plus OWN_ROWS_POLICIES."""
    expected = {
        (table, "tenant_isolation", "PERMISSIVE", "public", "ALL", TENANT_CONDITION, TENANT_CONDITION)
        for table in tenant_tables
    } | {
        (table, name, "PERMISSIVE", "public", "SELECT", condition, None)
        for (table, name), condition in OWN_ROWS_POLICIES.items()
    }
    actual = set(conn.execute(POLICIES).fetchall())
    return sorted(actual ^ expected, key=str)


def tenant_models():
    return [model for model in apps.get_models() if issubclass(model, TenantModel)]


def test_every_table_with_an_organization_has_forced_row_level_security(db):
    with connection.cursor() as cursor:
        cursor.execute(TENANT_TABLES_LACKING_RLS)
        assert cursor.fetchall() == []


def test_a_new_tenant_table_without_its_policy_is_caught():
    with psycopg.connect(os.environ["DATABASE_OWNER_URL"]) as conn:
        conn.execute("CREATE TABLE forgotten_policy (id bigint, organization_id bigint NOT NULL)")
        lacking = [row[0] for row in conn.execute(TENANT_TABLES_LACKING_RLS)]
        conn.rollback()
    assert lacking == ["forgotten_policy"]


def test_every_key_between_tenant_tables_stays_inside_one_organization(db):
    with connection.cursor() as cursor:
        cursor.execute(TENANT_KEYS_LACKING_SAME_ORGANIZATION)
        lacking = cursor.fetchall()
        assert lacking == [], "\n".join(map(str, lacking))


def test_every_tenant_table_has_exactly_the_pinned_policies(django_db_setup):
    tables = sorted(model._meta.db_table for model in tenant_models())
    with psycopg.connect(os.environ["DATABASE_OWNER_URL"]) as conn:
        unlike = policies_unlike_the_wall(conn, tables)
        assert unlike == [], "\n".join(map(str, unlike))
        # A policy that opens a table, or a tenant policy loosened, is caught.
        conn.execute("CREATE POLICY everyone ON customers_customer FOR SELECT USING (true)")
        conn.execute("ALTER POLICY tenant_isolation ON notes_note USING (true)")
        assert [row[:2] for row in policies_unlike_the_wall(conn, tables)] == [
            ("customers_customer", "everyone"),
            ("notes_note", "tenant_isolation"),
            ("notes_note", "tenant_isolation"),
        ]
        conn.rollback()


def test_every_staff_page_declares_the_permission_it_needs():
    staff_routes = [(route, pattern) for route, pattern in routes() if route.startswith(STAFF_AREA)]
    assert len(staff_routes) > 50
    undeclared = [
        route
        for route, pattern in staff_routes
        if getattr(pattern.callback, "required_permission", None) not in OWNER_PERMISSIONS
    ]
    assert undeclared == []


def test_every_model_with_an_organization_derives_from_the_tenant_base():
    with_organization = {
        model
        for model in apps.get_models()
        if any(field.name == "organization" for field in model._meta.concrete_fields)
    }
    assert with_organization == set(tenant_models())
    assert {model._meta.db_table for model in tenant_models()} >= {"accounts_membership"}


def test_app_role_is_not_superuser_bypassrls_or_table_owner(db):
    with connection.cursor() as cursor:
        cursor.execute("SELECT rolsuper, rolbypassrls FROM pg_roles WHERE rolname = current_user")
        assert cursor.fetchone() == (False, False)
        cursor.execute(
            "SELECT tablename FROM pg_tables WHERE schemaname = 'public' AND tableowner = current_user"
        )
        assert cursor.fetchall() == []


def test_tenant_model_queried_outside_a_tenant_raises(org_a):
    with pytest.raises(TenantScopeError):
        Membership.objects.count()
    with pytest.raises(TenantScopeError):
        Membership(user=org_a_owner(org_a), role=Role.STAFF).save()
    # The escape hatch is named, and row-level security still hides every row outside a tenant.
    assert Membership.objects.unscoped().count() == 0


def org_a_owner(organization):
    with tenant(organization):
        return Membership.objects.get(role=Role.OWNER).user


@pytest.mark.django_db(transaction=True)
def test_raw_sql_on_a_separate_connection_sees_only_the_entered_tenant(org_a, org_b):
    """On its own connection (no test transaction to hide a leak): nothing without a tenant, one
    organization's rows with it, and no writing into another organization."""
    with psycopg.connect(os.environ["DATABASE_URL"]) as conn:
        for model in tenant_models():
            table = model._meta.db_table
            assert conn.execute(f'SELECT count(*) FROM "{table}"').fetchone() == (0,), table  # noqa: S608
        conn.execute("SELECT set_config('app.org_id', %s, true)", [str(org_a.pk)])
        org_ids = conn.execute("SELECT DISTINCT organization_id FROM accounts_membership").fetchall()
        assert org_ids == [(org_a.pk,)]
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute(
                "INSERT INTO accounts_membership (organization_id, user_id, role, created_at) "
                "SELECT %s, id, 'staff', now() FROM accounts_user LIMIT 1",
                [org_b.pk],
            )
        conn.rollback()
        # The setting was transaction-local: the next transaction on this pooled connection sees nothing.
        assert conn.execute("SELECT count(*) FROM accounts_membership").fetchone() == (0,)


def routes():
    """Every URL pattern of the project as (route string, pattern)."""

    def walk(patterns, prefix):
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                yield from walk(pattern.url_patterns, prefix + str(pattern.pattern))
            elif isinstance(pattern, URLPattern):
                yield prefix + str(pattern.pattern), pattern

    return list(walk(get_resolver().url_patterns, ""))


def fill(route: str, values: dict[str, str]) -> str:
    return "/" + re.sub(r"<(?:\w+:)?(\w+)>", lambda match: values.get(match.group(1), "csv"), route)


@pytest.fixture
def alpha_world(org_a, org_b, alice):
    """Org A's canaries (a row of every tenant model) with the ids of each model, one id of each model that
    is no id of org B, and the tokens and slug that open its rows from outside the staff pages."""
    make_member(org_a, Role.STAFF, "canary-staff@alpha.example")
    with tenant(org_a):
        links = canaries_seed(organization=org_a, owner=alice)
        rows = {model: list(model.objects.values_list("pk", flat=True)) for model in tenant_models()}
    with tenant(org_b):
        b_ids = {pk for model in tenant_models() for pk in model.objects.values_list("pk", flat=True)}
    one_of_each = {next((pk for pk in pks if pk not in b_ids), None) for pks in rows.values()} - {None}
    return {"rows": rows, "one_of_each": sorted(one_of_each), "links": links}


def test_alpha_world_seeds_a_canary_of_every_tenant_model(alpha_world):
    unseeded = [model._meta.label for model, pks in alpha_world["rows"].items() if not pks]
    assert unseeded == [], "add a canary of each to tests/canaries.py"


# The model a route's <int:pk> names, by how the route goes on after the organization (the longest match
# wins); a route none of these names is tried with an id of every tenant model.
PK_KINDS = {
    "settings/staff/": Membership,
    "settings/staff/invitations/": StaffInvitation,
    "settings/tags/": Tag,
    "settings/api-keys/": ApiKey,
    "settings/webhooks/": WebhookEndpoint,
    "reports/scheduled/": ScheduledReport,
    "settings/custom-fields/": CustomField,
    "settings/forms/": IntakeForm,
    "settings/packages/": Package,
    "invites/": Package,
    "settings/metrics/": Metric,
    "customers/": Customer,
    "customers/bulk/": BulkOperation,
    "customers/segments/": Segment,
    "customers/metric-entries/": MetricEntry,
    "customers/privacy-exports/": PersonExport,
    "settings/privacy/erasures/": ErasureRecord,
    "families/people/": Customer,
    "families/links/": GuardianLink,
    "families/affiliations/": Affiliation,
    "families/organizations/": AffiliatedOrganization,
    "imports/": ImportJob,
    "metrics/": Metric,
    "account/family/": Customer,
    "settings/waivers/": WaiverTemplate,
    "waivers/sign/": Customer,
    "bookings/": Booking,
    "book/mine/": Booking,
    "settings/booking/rooms/": Room,
    "settings/booking/parties/": PartyPackage,
    "settings/duplicates/": DuplicatePair,
    "settings/duplicates/scan/": DuplicateScan,
}
ID_KINDS = {
    "note_pk": Note,
    "tag_pk": Tag,
    "change_pk": PendingChange,
    "delivery_pk": WebhookDelivery,
    "payment_pk": Payment,
    "entry_pk": CreditEntry,
    "card_pk": PunchCard,
    "punch_pk": Punch,
    "subscription_pk": Subscription,
    "external_pk": ExternalSubscription,
    "invite_pk": PackageInvite,
    "package_id": Package,
    "waitlist_entry_pk": WaitlistEntry,
    "template_pk": WaiverTemplate,
    "signature_pk": WaiverSignature,
    "party_id": PartyPackage,
    "course_pk": Course,
    "session_pk": Session,
    "registration_pk": Registration,
    "other_pk": Customer,
    "merge_pk": Merge,
}
# The link a route's <str:token> opens, named as canaries_seed names it.
TOKEN_KINDS = {
    "join/": "join",
    "claim/": "claim",
    "invite/": "package_invite",
    "signup/confirm/": "signup",
    "account/email/confirm/": "email_change",
    "waitlist/offer/": "waitlist_offer",
    "waivers/link/": "waiver_link",
}


def longest_match(route: str, kinds: dict):
    matches = [beginning for beginning in kinds if route.startswith(beginning)]
    return kinds[max(matches, key=len)] if matches else None


def org_a_values(route: str, world: dict) -> list[dict[str, str]]:
    """Every combination of values naming org A's data for the route's parameters after the organization:
    ids of the model each expects, org A's token or intake form slug; [{}] when it names none."""
    after_organization = route.split("<slug:org_slug>/", 1)[1]
    choices = {}
    for name in re.findall(r"<(?:\w+:)?(\w+)>", after_organization):
        if name == "pk" or name in ID_KINDS:
            kind = ID_KINDS.get(name) or longest_match(after_organization, PK_KINDS)
            choices[name] = world["rows"][kind] if kind else world["one_of_each"]
        elif name == "token":
            link = longest_match(after_organization, TOKEN_KINDS)
            choices[name] = [world["links"][each] for each in ([link] if link else TOKEN_KINDS.values())]
        elif name == "form_slug":
            choices[name] = [world["links"]["form_slug"]]
    return [
        {name: str(value) for name, value in zip(choices, combination, strict=True)}
        for combination in itertools.product(*choices.values())
    ]


METHODS = ("get", "post", "put", "patch", "delete")
STAFF_AREA = "app/<slug:org_slug>/"


def test_member_of_another_organization_never_reaches_its_pages_or_ids(bob_client, org_a, org_b, alpha_world):
    """Bob (staff of B) tries every route of an organization: in org A's staff area, and in his own
    organization with org A's ids, tokens and form slug. Each route takes the ids of the model it expects."""
    tenant_routes = [route for route, _ in routes() if "<slug:org_slug>" in route]
    assert any(route.startswith(STAFF_AREA) for route in tenant_routes)
    checked = 0
    for route in tenant_routes:
        for values in org_a_values(route, alpha_world):
            urls = []
            if route.startswith(STAFF_AREA):
                urls.append(fill(route, values | {"org_slug": org_a.slug}))
            if values:
                urls.append(fill(route, values | {"org_slug": org_b.slug}))
            for url in urls:
                for method in METHODS:
                    response = getattr(bob_client, method)(url)
                    assert response.status_code in (403, 404, 405), (method, url, response.status_code)
                    assert b"canary" not in response.content.lower(), (method, url)
                    checked += 1
    assert checked > 50


def test_the_sweep_gives_each_staff_page_ids_of_the_model_it_expects(alice_client, org_a, alpha_world):
    """Org A's owner reaches a staff page with each id the sweep gives it, or with some combination where it
    takes a customer and one of their rows (a page taking only POST answers 405 before it looks): ids of the
    wrong model for a route show here rather than pass quietly."""
    not_found = []
    for route, _ in routes():
        if route.startswith(STAFF_AREA) and "<int:" in route:
            reached = [
                alice_client.get(fill(route, values | {"org_slug": org_a.slug})).status_code != 404
                for values in org_a_values(route, alpha_world)
            ]
            if not (any(reached) if route.count("<int:") > 1 else all(reached)):
                not_found.append(route)
    assert not_found == []


def test_anonymous_visitor_is_sent_to_login_for_any_staff_page(client, org_a):
    response = client.get(f"/app/{org_a.slug}/settings/staff/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")
    assert client.get("/app/no-such-org/").status_code == 302  # same answer: slugs don't leak


def test_migrations_are_complete(db):
    from django.core.management import call_command

    call_command("makemigrations", "--check", "--dry-run", verbosity=0)


def test_invitation_rows_exist_only_in_their_organization(org_a, org_b, alice):
    with tenant(org_a):
        services.staff_invite(email="x@alpha.example", role=Role.STAFF, by=alice)
        assert StaffInvitation.objects.count() == 1
    with tenant(org_b):
        assert StaffInvitation.objects.count() == 0
        assert StaffInvitation.objects.unscoped().count() == 0
