"""What the reports app adds: the Customers report, the first tab of Reports."""

from customers.extend import Report, register
from reports.customer_report import customer_tables

register(Report("customers", "Customers", "reports_customers:report", 10, customer_tables))
