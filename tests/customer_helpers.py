"""What the customer test modules share: Jane in org A and Bea in org B, fixtures registered for every module
by tests/conftest.py, and the roster's address."""

import pytest

from accounts.tenancy import tenant
from tests.factories import customer

HTMX = {"HTTP_HX_REQUEST": "true"}
RESULTS = {**HTMX, "HTTP_HX_TARGET": "results"}


@pytest.fixture
def jane(org_a, org_b, alice):
    with tenant(org_a):
        return customer(
            first_name="Jane", last_name="Smith", email="jane@alpha.example", phone="(555) 123-4567", by=alice
        )


@pytest.fixture
def beta_customer(org_b, bob):
    with tenant(org_b):
        return customer(first_name="Bea", last_name="Beta", email="bea@beta.example", by=bob)


def roster_url(org, query: str = "") -> str:
    return f"/app/{org.slug}/customers/{query}"
