"""Tasks the test worker loads (--include) to report what a task sees of the tenant wall."""

from celery import shared_task
from django.db import connection

from accounts.models import Membership
from accounts.tenancy import current_organization, tenant_task


def _seen() -> dict:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT current_setting('app.org_id', true), (SELECT count(*) FROM accounts_membership)"
        )
        setting, raw_rows = cursor.fetchone()
    organization = current_organization()
    return {
        "context": organization.pk if organization else None,
        "setting": setting or "",
        "raw_rows": raw_rows,
    }


@tenant_task()
def tenant_view(*, org_id: int) -> dict:
    return {**_seen(), "members": sorted(Membership.objects.values_list("user__email", flat=True))}


@shared_task
def plain_view() -> dict:
    return _seen()
