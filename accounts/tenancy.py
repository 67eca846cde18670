"""The tenant wall, application side: the current organization, fail-closed managers, and RLS SQL.

Two walls keep organizations apart. This module is the first: every tenant model's default manager
refuses to run outside `tenant(org)` and filters by it. The second is PostgreSQL row-level security,
keyed on the transaction-local setting `app.org_id` that `tenant(org)` sets (see `tenant_rls`).
"""

import smtplib
import uuid
from contextlib import contextmanager
from contextvars import ContextVar
from pathlib import PurePosixPath
from typing import TYPE_CHECKING

from celery import shared_task
from django.db import OperationalError, connection, migrations, models, transaction

from accounts.outbox import OutboxTask

if TYPE_CHECKING:
    from accounts.models import Organization

_current_organization: ContextVar["Organization | None"] = ContextVar("current_organization", default=None)


class TenantScopeError(RuntimeError):
    """A tenant model was queried with no organization entered."""


def current_organization() -> "Organization | None":
    return _current_organization.get()


def required_organization(what: str) -> "Organization":
    organization = _current_organization.get()
    if organization is None:
        raise TenantScopeError(
            f"{what} outside a tenant: enter one with tenant(org), "
            "or call .unscoped() where crossing organizations is the point."
        )
    return organization


@contextmanager
def db_setting(name: str, value: str, *, savepoint: bool = True):
    """Set a PostgreSQL setting for the enclosed block only, inside a transaction (never session-wide:
    connections are reused), and put back the previous value when the block ends. `savepoint=False` inside a
    transaction: an error in the block dooms the enclosing transaction, whose rollback ends the setting."""
    outermost = not connection.in_atomic_block
    with transaction.atomic(savepoint=savepoint):
        with connection.cursor() as cursor:
            cursor.execute("SELECT current_setting(%s, true), set_config(%s, %s, true)", [name, name, value])
            previous = cursor.fetchone()[0]
        yield
        # The COMMIT or ROLLBACK that ends the transaction ends the setting too: put it back only inside one.
        if not outermost and not transaction.get_rollback():
            with connection.cursor() as cursor:
                cursor.execute("SELECT set_config(%s, %s, true)", [name, previous or ""])


@contextmanager
def tenant(organization: "Organization"):
    """Enter an organization: application scoping and row-level security both see only its rows."""
    token = _current_organization.set(organization)
    try:
        with db_setting("app.org_id", str(organization.pk)):
            yield organization
    finally:
        _current_organization.reset(token)


@contextmanager
def as_user(user_id: int):
    """Let row-level security show a user's own rows that span organizations (their memberships). For reads
    (the shell's and the portal's switchers on every page): no savepoint, two statements fewer."""
    with db_setting("app.user_id", str(user_id), savepoint=False):
        yield


class TenantManager(models.Manager):
    """Default manager of tenant models: scoped to the current organization, and an error outside one."""

    def get_queryset(self):
        organization = required_organization(f"{self.model.__name__} queried")
        return super().get_queryset().filter(organization_id=organization.pk)

    def bulk_create(self, objs, *args, **kwargs):
        organization = required_organization(f"{self.model.__name__} created")
        objs = list(objs)
        for obj in objs:
            if obj.organization_id is None:
                obj.organization = organization
        return super().bulk_create(objs, *args, **kwargs)

    def unscoped(self):
        """Escape hatch: no application-side scoping. Row-level security still applies."""
        return super().get_queryset()


class TenantModel(models.Model):
    """Base of every model owned by one organization."""

    organization = models.ForeignKey("accounts.Organization", on_delete=models.CASCADE, editable=False)

    objects = TenantManager()

    class Meta:
        abstract = True

    def save(self, *args, **kwargs):
        if self.organization_id is None:
            self.organization = required_organization(f"{type(self).__name__} saved")
        super().save(*args, **kwargs)


def tenant_cache_key(key: str, key_prefix: str, version: int) -> str:
    """Cache keys carry the organization (or `global`), so one tenant never reads another's entry."""
    organization = current_organization()
    scope = f"org{organization.pk}" if organization else "global"
    return f"{key_prefix}:{version}:{scope}:{key}"


def tenant_upload_path(instance: TenantModel, filename: str) -> str:
    """Storage path for a tenant's file: under its organization, with a random folder against guessing."""
    name = PurePosixPath(filename).name or "upload"
    return f"org/{instance.organization_id}/{instance._meta.model_name}/{uuid.uuid4().hex}/{name}"


def tenant_rls(table: str) -> migrations.RunSQL:
    """Migration operation: enable and force row-level security on a tenant table."""
    condition = "organization_id = NULLIF(current_setting('app.org_id', true), '')::bigint"
    return migrations.RunSQL(
        sql=[
            f'ALTER TABLE "{table}" ENABLE ROW LEVEL SECURITY',
            f'ALTER TABLE "{table}" FORCE ROW LEVEL SECURITY',
            f'CREATE POLICY tenant_isolation ON "{table}" USING ({condition}) WITH CHECK ({condition})',
        ],
        reverse_sql=[
            f'DROP POLICY tenant_isolation ON "{table}"',
            f'ALTER TABLE "{table}" NO FORCE ROW LEVEL SECURITY',
            f'ALTER TABLE "{table}" DISABLE ROW LEVEL SECURITY',
        ],
    )


def across_organizations(
    table: str, sql: str, reverse_sql: str, *, reading: tuple[str, ...] = ()
) -> migrations.RunSQL:
    """Migration operation: a data change to every organization's rows of `table` (reading those of the
    tables in `reading`; `reverse_sql` may be RunSQL.noop). The owner running migrations is held to row
    security like everyone (FORCE), so it is lifted for this statement only, inside the migration's
    transaction."""
    tables = [table, *reading]

    def wrapped(statement: str) -> list[str]:
        return [
            *(f'ALTER TABLE "{name}" NO FORCE ROW LEVEL SECURITY' for name in tables),
            statement,
            *(f'ALTER TABLE "{name}" FORCE ROW LEVEL SECURITY' for name in tables),
        ]

    return migrations.RunSQL(wrapped(sql), wrapped(reverse_sql) if reverse_sql else migrations.RunSQL.noop)


def same_organization(
    table: str,
    column: str,
    target: str = "customers_customer",
    *,
    on_delete: str = "CASCADE",
    existing_rows: bool = False,
) -> migrations.RunSQL:
    """Migration operation: a composite foreign key (organization_id, column) → target (organization_id, id),
    so a row can never point at another organization's row (plain foreign key checks bypass row security).
    The target needs a unique constraint on (organization, id). `on_delete` is SQL, e.g. "SET NULL (column)"
    for a nullable key. On a table that has rows (`existing_rows`, in a migration with atomic = False) the
    key is added unchecked, then checked under a lock that lets the app keep writing."""
    name = f"{table}_{column}_same_org"
    add = (
        f'ALTER TABLE "{table}" ADD CONSTRAINT "{name}" FOREIGN KEY (organization_id, "{column}")'
        f' REFERENCES "{target}" (organization_id, id) ON DELETE {on_delete}'
    )
    validate = f'ALTER TABLE "{table}" VALIDATE CONSTRAINT "{name}"'
    sql = [f"{add} NOT VALID", validate] if existing_rows else add
    return migrations.RunSQL(sql, f'ALTER TABLE "{table}" DROP CONSTRAINT "{name}"')


class TenantTask(OutboxTask):
    """A task that runs inside one organization: it takes `org_id` and plain ids, never instances.
    The tenant (context, transaction, `app.org_id`) ends with the task, so nothing carries over.
    A `batched` task enters its tenant itself, one committed transaction per batch, so progress shows."""

    batched = False

    def __call__(self, *args, **kwargs):
        if self.batched:
            return super().__call__(*args, **kwargs)
        from accounts.models import Organization

        with tenant(Organization.objects.get(pk=kwargs["org_id"])):
            return super().__call__(*args, **kwargs)


# Waits doubling from 1 s, each cut at random (jitter): 5 tries gave up within ~15 s of an outage; 10 outlast
# a restart of PostgreSQL or the mail server of several minutes (README "Faults").
RETRIED = {
    "acks_late": True,
    "reject_on_worker_lost": True,
    "autoretry_for": (OperationalError, smtplib.SMTPException, ConnectionError),
    "retry_backoff": True,
    "max_retries": 10,
}


def tenant_task(**options):
    """Decorator for tasks that touch tenant data; enqueue them with `.delay_on_commit(org_id=…, …)`."""
    return shared_task(base=TenantTask, **(RETRIED | options))


def retried_task(**options):
    """Decorator for a task outside any organization (a login's emails): it waits out outages as tenant
    tasks do."""
    return shared_task(**(RETRIED | options))
