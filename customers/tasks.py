from accounts.models import Organization
from accounts.tenancy import tenant_task
from customers import duplicate_services, services


@tenant_task(batched=True)
def customers_bulk_run(*, org_id: int, operation_id: int) -> None:
    services.bulk_operation_run(organization=Organization.objects.get(pk=org_id), operation_id=operation_id)


@tenant_task(batched=True)
def duplicates_scan(*, org_id: int, scan_id: int) -> None:
    duplicate_services.duplicates_scan_run(organization=Organization.objects.get(pk=org_id), scan_id=scan_id)
