from accounts.models import Organization
from accounts.tenancy import tenant_task
from customers import services


@tenant_task(batched=True)
def customers_bulk_run(*, org_id: int, operation_id: int) -> None:
    services.bulk_operation_run(organization=Organization.objects.get(pk=org_id), operation_id=operation_id)
