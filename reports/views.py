from accounts.permissions import org_permission
from customers.reports import report_render
from reports.customer_report import customer_tables


@org_permission("reports.view")
def customers(request, org_slug):
    return report_render(
        request, "customers", "reports/customers.html", lambda query: {"tables": customer_tables(query)}
    )
