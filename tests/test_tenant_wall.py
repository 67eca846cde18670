"""Meta-tests that keep the tenant wall standing as the app grows: every new tenant table, model and URL
is checked here without anyone having to remember to add it."""

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
from customers import services as customer_services
from tests.conftest import make_member

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
    """Org A's data with canary strings, and ids of org A that are no id of org B."""
    make_member(org_a, Role.STAFF, "canary-staff@alpha.example")
    with tenant(org_a):
        owner = Membership.objects.get(user=alice)
        invitation = services.staff_invite(email="canary-invitee@alpha.example", role=Role.ADMIN, by=owner)
        token = services.staff_invitation_issue_token(invitation=invitation)
        canary = customer_services.customer_create(
            data={"first_name": "Canary", "last_name": "Customer", "email": "canary@alpha.example"}, by=alice
        )
        customer_services.customers_bulk(action="archive", customer_ids=[canary.pk], by=alice)
        a_ids = {pk for model in tenant_models() for pk in model.objects.values_list("pk", flat=True)}
    with tenant(org_b):
        b_ids = {pk for model in tenant_models() for pk in model.objects.values_list("pk", flat=True)}
    return {"ids": sorted(a_ids - b_ids), "token": token}


METHODS = ("get", "post", "put", "patch", "delete")
STAFF_AREA = "app/<slug:org_slug>/"


def test_member_of_another_organization_never_reaches_its_pages_or_ids(bob_client, org_a, org_b, alpha_world):
    tenant_routes = [route for route, _ in routes() if "<slug:org_slug>" in route]
    assert any(route.startswith("app/") for route in tenant_routes)
    checked = 0
    for route in tenant_routes:
        for pk in alpha_world["ids"]:
            urls = []
            if route.startswith("app/"):
                urls.append(
                    fill(route, {"org_slug": org_a.slug, "pk": str(pk), "token": alpha_world["token"]})
                )
            if "<int:pk>" in route or "<str:token>" in route:
                urls.append(
                    fill(route, {"org_slug": org_b.slug, "pk": str(pk), "token": alpha_world["token"]})
                )
            for url in urls:
                for method in METHODS:
                    response = getattr(bob_client, method)(url)
                    assert response.status_code in (403, 404, 405), (method, url, response.status_code)
                    assert b"canary" not in response.content.lower(), (method, url)
                    checked += 1
    assert checked > 50


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
        services.staff_invite(email="x@alpha.example", role=Role.STAFF, by=Membership.objects.get(user=alice))
        assert StaffInvitation.objects.count() == 1
    with tenant(org_b):
        assert StaffInvitation.objects.count() == 0
        assert StaffInvitation.objects.unscoped().count() == 0
