"""What the reports app adds: the Customers report, the first tab of Reports, and the audit log's actions of
scheduled reports."""

from accounts.audit import register_audit_actions
from customers.extend import Report, register
from reports.customer_report import customer_tables
from reports.models import ScheduledReportAudit

register(Report("customers", "Customers", "reports_customers:report", 10, customer_tables))
register_audit_actions(ScheduledReportAudit)
