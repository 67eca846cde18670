"""The OpenAPI document is the API's contract. Schemathesis generates calls to every operation from it, valid
and invalid, with the key of one organization while another organization has rows of every kind; path ids
are drawn from both organizations. No answer may be a server error or break the document (status, headers,
body)."""

import traceback

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis.specs.openapi.checks import negative_data_rejection, positive_data_acceptance

from accounts.tenancy import tenant
from api.api import api
from api.models import Scope
from api.services import key_create
from tests import fuzz_world

EXAMPLES = 20  # per operation and generation mode
# An import's body is a file: its CSV is any text, and its JSON names the organization's own custom field
# keys, which one document cannot list; whether such a body is accepted is for the import's validation, tested
# in tests/test_api.py.
LOOSE = {"/api/v1/imports/": [positive_data_acceptance, negative_data_rejection]}
# A customer's required fields are the organization's Staff Portal rules, a change needs the current ETag, a
# cursor is one the API signed: schema-valid input these refuse (422, 428) is in test_api_customers.py.
CUSTOMER_PATHS = ["/api/v1/customers/", "/api/v1/customers/batch/", "/api/v1/customers/{customer_id}/"]
LOOSE |= {path: [positive_data_acceptance] for path in CUSTOMER_PATHS}
MODES = [schemathesis.GenerationMode.POSITIVE, schemathesis.GenerationMode.NEGATIVE]


def keeps_to_the_document(operation, mode, hooks, secret: str) -> None:
    loose = LOOSE.get(operation.path, [])

    @given(operation.as_strategy(generation_mode=mode, hooks=hooks))
    @settings(max_examples=EXAMPLES, deadline=None, database=None, suppress_health_check=list(HealthCheck))
    def calls(case):
        case.call_and_validate(headers={"Authorization": f"Bearer {secret}"}, excluded_checks=loose)

    calls()


@pytest.fixture
def connection_kept():
    """Calls go through the WSGI application in this thread; as with Django's test client, a request must not
    close the test's database connection (its transaction holds the rows)."""
    for signal in (request_started, request_finished):
        signal.disconnect(close_old_connections)
    yield
    for signal in (request_started, request_finished):
        signal.connect(close_old_connections)


def test_every_operation_keeps_to_the_openapi_document(
    alice, bob, org_a, org_b, quiet_refusals, connection_kept
):
    worlds = [
        fuzz_world.build_world(org_a, alice, seed=0, prefix="alpha"),
        fuzz_world.build_world(org_b, bob, seed=1, prefix="beta"),
    ]
    ids = sorted({value for world in worlds for value in world.ids.values() if isinstance(value, int)})
    with tenant(org_a):
        _, secret = key_create(name="Schemathesis", scopes=list(Scope.values), by=alice)
    schema = schemathesis.openapi.from_dict(api.get_openapi_schema())
    schema.app = get_wsgi_application()
    schema.config.generation.update(allow_extra_parameters=False)  # unknown query parameters are ignored

    @schema.hook
    def flatmap_path_parameters(context, path_parameters):
        if not path_parameters:
            return st.just(path_parameters)
        return st.fixed_dictionaries(
            {
                name: st.sampled_from(ids) | st.just(value) if isinstance(value, int) else st.just(value)
                for name, value in path_parameters.items()
            }
        )

    failures = []
    operations = [result.ok() for result in schema.get_all_operations()]
    for operation in operations:
        for mode in MODES:
            try:
                keeps_to_the_document(operation, mode, schema.hooks, secret)
            except Exception as error:  # every operation gets its turn; the failures are listed at the end
                failure = "".join(traceback.format_exception_only(error))
                failures.append(f"{operation.label} ({mode}): {failure}")
    assert len(operations) >= 4
    assert not failures, "\n\n".join(failures)
