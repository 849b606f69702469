"""The OpenAPI document describes every route, and schemathesis fuzzes the API against it (a valid key, seeded data
of two tenants, Meta refusing every token): no 5xx, and every answer matches the document."""

from __future__ import annotations

import re

import pytest
import responses
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from tests.api_helpers import api_fixture
from tests.graph_fakes import error_body
from tests.helpers import GRAPH_URL
from webhooks.api import ROUTES
from webhooks.api.openapi import document

pytestmark = pytest.mark.services

api = api_fixture({"API_RATE_LIMIT_PER_MINUTE": 1_000_000})  # fuzzing is not rate limited

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]
EXAMPLES_PER_OPERATION = 12


def test_the_document_describes_every_route_with_its_errors():
    doc = document()

    for route in ROUTES:
        operation = doc["paths"][route.path][route.method.lower()]
        assert str(route.status) in operation["responses"]
        for status in route.error_statuses():
            assert operation["responses"][str(status)]["content"]["application/json"]["schema"] == {
                "$ref": "#/components/schemas/ErrorBody"
            }
    assert len([op for path in doc["paths"].values() for op in path]) == len(ROUTES)


def test_the_document_is_served_as_json(api):
    answer = api.get("/api/v1/openapi.json", key=None)

    assert answer.status_code == 200 and answer.get_json() == document()


@pytest.fixture
def meta_refuses_every_token():
    with responses.RequestsMock(assert_all_requests_are_fired=False) as graph:
        for method in ("GET", "POST"):
            graph.add(method, re.compile(re.escape(GRAPH_URL) + ".*"), json=error_body(190, "bad token"), status=400)
        yield graph


@pytest.mark.parametrize("route", ROUTES, ids=lambda route: route.endpoint)
def test_the_api_keeps_to_its_document_under_fuzzing(api, meta_refuses_every_token, route):
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", api.client.application)
    operation = schema[route.path][route.method]
    headers = {"Authorization": f"Bearer {api.keys['a-write']}"}

    @given(case=operation.as_strategy())
    @settings(
        max_examples=EXAMPLES_PER_OPERATION, deadline=None, database=None, suppress_health_check=list(HealthCheck)
    )
    def fuzz(case):
        case.call_and_validate(headers=headers, checks=CHECKS)

    fuzz()
