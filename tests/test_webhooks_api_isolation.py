"""A tenant's key never reads or changes another tenant's data: for every route in the table (a new route without a
case here fails), tenant-a's key aimed at tenant-b's things gets 404, an empty list or a refusal, and nothing of
tenant-b's is written or enqueued."""

from __future__ import annotations

import json

import pytest

from metasync.store.changes import Change, ChangeSet
from metasync.store.documents import MetaConnection, SyncRun
from metasync.store.reports import ReportDefinition
from tests.api_helpers import TENANTS, api_fixture
from webhooks.api import ROUTES

pytestmark = pytest.mark.services

api = api_fixture()

OTHER = TENANTS[1]
ABSENT_ID = "0123456789abcdef01234567"

# endpoint -> (expected answer, requests by tenant-a's key, each (method, path with {b.<attr>}, body))
CASES: dict[str, tuple[str, list[tuple[str, str, dict | None]]]] = {
    "openapi_json": ("public", [("GET", "/api/v1/openapi.json", None)]),
    "list_connections": (
        "empty",
        [("GET", "/api/v1/connections", None), ("GET", f"/api/v1/connections?tenant={OTHER}", None)],
    ),
    "add_connection": (
        "refused",
        [("POST", "/api/v1/connections", {"tenant_id": OTHER, "ad_account_id": "act_456", "token": "EAAx"})],
    ),
    "discover_connections": (
        "refused",
        [("POST", "/api/v1/connections/discover", {"tenant_id": OTHER, "token": "EAAx", "add_all": True})],
    ),
    "get_connection": ("404", [("GET", "/api/v1/connections/{b.connection_id}", None)]),
    "disable_connection": ("404", [("POST", "/api/v1/connections/{b.connection_id}/disable", {})]),
    "reauthenticate_connection": ("404", [("POST", "/api/v1/connections/{b.connection_id}/token", {"token": "EAAx"})]),
    "trigger_entity_sync": ("404", [("POST", "/api/v1/connections/{b.connection_id}/entity-sync", {})]),
    "trigger_performance_sync": ("404", [("POST", "/api/v1/connections/{b.connection_id}/performance-sync", {})]),
    "trigger_report_pull": (
        "404",
        [
            ("POST", "/api/v1/connections/{b.connection_id}/report-pull", {"report": "age_gender"}),
            ("POST", "/api/v1/connections/{a.connection_id}/report-pull", {"report": "b_only"}),
        ],
    ),
    "trigger_change_set": ("404", [("POST", "/api/v1/change-sets/{b.change_set_id}/apply", {})]),
    "list_runs": (
        "empty",
        [
            ("GET", "/api/v1/runs", None),
            ("GET", f"/api/v1/runs?tenant={OTHER}", None),
            ("GET", "/api/v1/runs?connection_id={b.connection_id}", None),
        ],
    ),
    "get_run": ("404", [("GET", "/api/v1/runs/{b.run_id}", None)]),
    "get_freshness": (
        "empty",
        [("GET", "/api/v1/freshness", None), ("GET", f"/api/v1/freshness?tenant={OTHER}", None)],
    ),
    "get_rate_budget": (
        "empty",
        [("GET", "/api/v1/rate-budget", None), ("GET", f"/api/v1/rate-budget?tenant={OTHER}", None)],
    ),
    "list_reports": ("empty", [("GET", "/api/v1/reports", None)]),
    "define_report": (
        "refused",
        [
            ("POST", "/api/v1/reports", {"name": "mine", "level": "ad", "tenants": [OTHER]}),
            ("POST", "/api/v1/reports", {"name": "mine", "level": "ad", "connections": ["{b.connection_id}"]}),
        ],
    ),
    "report_rows": (
        "empty",
        [
            ("GET", "/api/v1/reports/age_gender/rows", None),
            ("GET", f"/api/v1/reports/age_gender/rows?tenant={OTHER}", None),
            ("GET", "/api/v1/reports/age_gender/rows?connection_id={b.connection_id}", None),
        ],
    ),
    "create_changes": (
        "404",
        [
            (
                "POST",
                "/api/v1/connections/{b.connection_id}/changes",
                {"changes": [{"level": "campaign", "id": "9001", "values": {"status": "PAUSED"}}]},
            ),
            (
                "POST",
                "/api/v1/connections/{b.connection_id}/changes",
                {"dry_run": True, "changes": [{"level": "campaign", "id": "9001", "values": {"status": "PAUSED"}}]},
            ),
        ],
    ),
    "list_changes": (
        "empty",
        [
            ("GET", "/api/v1/changes", None),
            ("GET", f"/api/v1/changes?tenant={OTHER}", None),
            ("GET", "/api/v1/changes?change_set_id={b.change_set_id}", None),
        ],
    ),
    "get_change": ("404", [("GET", "/api/v1/changes/{b.change_id}", None)]),
}


def test_every_route_has_a_cross_tenant_case():
    assert sorted(CASES) == sorted(route.endpoint for route in ROUTES)


def fill(value, b):
    return value.format(b=b) if isinstance(value, str) else value


def _state_of_b(b) -> tuple:
    connection = MetaConnection.objects.get(id=b.connection_id)
    return (
        connection.status,
        connection.access_token_encrypted,
        MetaConnection.objects(tenant_id=OTHER).count(),
        SyncRun.objects(tenant_id=OTHER).count(),
        Change.objects(tenant_id=OTHER).count(),
        ChangeSet.objects(tenant_id=OTHER).count(),
        ReportDefinition.objects(id="mine").count(),
    )


@pytest.mark.parametrize("endpoint", sorted(CASES))
def test_a_tenant_key_cannot_reach_another_tenants_data(api, endpoint):
    a, b = api.seeded["a"], api.seeded["b"]
    ReportDefinition(id="b_only", level="ad", tenants=[OTHER]).save()
    expected, calls = CASES[endpoint]
    before = _state_of_b(b)
    b_marks = (b.connection_id, b.ad_account_id, OTHER, b.run_id, b.change_set_id, b.change_id, "b_only")

    for method, template, body in calls:
        path = template.format(a=a, b=b)
        if body is not None:
            body = {k: [fill(v, b) for v in value] if isinstance(value, list) else value for k, value in body.items()}
        answer = api.call(method, path, "a-write", json=body)
        text = answer.get_data(as_text=True)
        if expected == "404":
            assert answer.status_code == 404, (path, text)
            assert answer.get_json()["error"]["code"] == "not_found"
        elif expected == "refused":  # naming another tenant (422) or one of its connections (404)
            assert answer.status_code in (404, 422), (path, text)
        elif expected == "empty":
            assert answer.status_code == 200, (path, text)
        if expected != "public":  # what the request itself named may be echoed; nothing else of tenant-b's
            asked = path + json.dumps(body or {})
            leaked = [mark for mark in b_marks if mark in text and mark not in asked]
            assert not leaked, (path, leaked)
        if expected == "404":  # the same answer as for a thing that does not exist at all
            absent = path
            for mark in b_marks:
                absent = absent.replace(mark, ABSENT_ID if len(mark) == 24 else "cs-absent")
            missing = api.call(method, absent, "a-write", json=body)
            assert (missing.status_code, missing.get_json()["error"]["code"]) == (404, "not_found")
    assert _state_of_b(b) == before
    assert api.sent == []


def test_the_admin_key_reaches_every_tenant(api):
    b = api.seeded["b"]

    assert api.get(f"/api/v1/connections/{b.connection_id}", key="admin").status_code == 200
    assert api.get(f"/api/v1/runs/{b.run_id}", key="admin").status_code == 200
    assert api.get(f"/api/v1/changes/{b.change_id}", key="admin").status_code == 200
    assert api.post(f"/api/v1/connections/{b.connection_id}/entity-sync", key="admin").status_code == 202
