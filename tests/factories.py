"""Customers for tests, saved through the same service staff use."""

from customers import services
from customers.models import Customer


def customer(by=None, **fields) -> Customer:
    data = {"first_name": "Jane", "last_name": "Doe"} | fields
    return services.customer_create(data=data, by=by)
