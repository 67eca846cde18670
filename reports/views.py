from accounts.permissions import org_permission
from customers.reports import report_render
from reports.customer_report import customer_report


@org_permission("reports.view")
def customers(request, org_slug):
    def build(query):
        tables, as_of = customer_report(query)
        return {"tables": tables, "as_of": as_of}

    return report_render(request, "customers", "reports/customers.html", build)
