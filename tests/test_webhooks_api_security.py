"""The API's guards: 401 without a valid key on every route, 403 for a read key on every write route, 429 with
Retry-After past a key's budget, one audit document per write call, secure headers, CORS only when configured, and
no token or secret in any answer."""

from __future__ import annotations

import os

import pytest

from metasync.access.keys import create_key, revoke_key
from metasync.store.audit import ApiAudit
from tests.api_helpers import api_fixture, path_of
from tests.helpers import NEVER_SHOWN, TOKEN
from webhooks.api import ROUTES

pytestmark = pytest.mark.services

api = api_fixture()

GUARDED = [route for route in ROUTES if not route.public]
WRITES = [route for route in ROUTES if route.write]


def _route_id(route) -> str:
    return route.endpoint


@pytest.mark.parametrize("route", GUARDED, ids=_route_id)
@pytest.mark.parametrize("authorization", [None, "Bearer msk_" + "x" * 43, "Basic abc", "Bearer "])
def test_every_route_answers_401_without_a_valid_key(api, route, authorization):
    headers = {"Authorization": authorization} if authorization else {}

    answer = api.call(route.method, path_of(route, api.seeded["a"]), key=None, json={}, headers=headers)

    assert answer.status_code == 401
    assert answer.get_json()["error"]["code"] == "unauthorized"
    assert answer.headers["WWW-Authenticate"].startswith("Bearer")
    assert api.sent == [] and ApiAudit.objects.count() == 0


def test_a_revoked_key_is_refused(api):
    revoke_key(api.keys["a-read"][:12])

    assert api.get("/api/v1/connections", key="a-read").status_code == 401


@pytest.mark.parametrize("route", WRITES, ids=_route_id)
def test_a_read_key_cannot_call_a_write_route(api, route):
    answer = api.call(route.method, path_of(route, api.seeded["a"]), key="a-read", json={})

    assert answer.status_code == 403 and answer.get_json()["error"]["code"] == "forbidden"
    assert api.sent == []
    [entry] = ApiAudit.objects
    assert (entry.status, entry.outcome, entry.key_id) == (403, "forbidden", api.keys["a-read"][:12])


def test_the_openapi_document_is_public(api):
    assert api.get("/api/v1/openapi.json", key=None).status_code == 200


def test_past_its_budget_a_key_gets_429_with_retry_after_and_other_keys_do_not(make_app, shared_db, redis_client):
    client = make_app(API_RATE_LIMIT_PER_MINUTE=2, API_TASK_SENDER=lambda *a: None).test_client()
    mine, other = create_key("tenant-a", "read")[0], create_key("tenant-a", "read")[0]

    def get(key):
        return client.get("/api/v1/connections", headers={"Authorization": f"Bearer {key}"})

    answers = [get(mine).status_code for _ in range(3)]
    limited = get(mine)

    assert answers == [200, 200, 429]
    assert limited.status_code == 429 and int(limited.headers["Retry-After"]) >= 1
    assert limited.get_json()["error"]["code"] == "rate_limited"
    assert get(other).status_code == 200


def test_a_write_call_is_audited_with_key_route_tenant_target_and_outcome(api):
    cid = api.seeded["a"].connection_id

    api.post(f"/api/v1/connections/{cid}/entity-sync")
    api.post(f"/api/v1/connections/{cid}/performance-sync", {"date_preset": "last_century"})
    api.get("/api/v1/connections")

    ok, refused = sorted(ApiAudit.objects, key=lambda e: e.at)
    route = "/api/v1/connections/<connection_id>/entity-sync"
    assert (ok.key_id, ok.method, ok.route) == (api.keys["a-write"][:12], "POST", route)
    assert (ok.tenant_id, ok.target, ok.status, ok.outcome) == ("tenant-a", {"connection_id": cid}, 202, "ok")
    assert (refused.status, refused.outcome) == (422, "refused")


def test_an_admin_write_is_audited_under_the_tenant_it_touched(api):
    api.post(f"/api/v1/connections/{api.seeded['b'].connection_id}/disable", key="admin")

    [entry] = ApiAudit.objects
    assert (entry.tenant_id, entry.status) == ("tenant-b", 200)


@pytest.mark.parametrize("path", ["/api/v1/connections", "/api/v1/nowhere", "/api/v1/openapi.json"])
@pytest.mark.parametrize("key", ["a-read", None])
def test_every_api_answer_carries_the_secure_headers(api, path, key):
    answer = api.get(path, key=key)

    assert answer.headers["X-Content-Type-Options"] == "nosniff"
    assert answer.headers["X-Frame-Options"] == "DENY"
    assert answer.headers["Cache-Control"] == "no-store"
    assert answer.headers["Content-Security-Policy"].startswith("default-src 'none'")
    assert answer.is_json


def test_an_unknown_route_or_method_answers_with_the_error_envelope(api):
    assert api.get("/api/v1/nowhere").get_json()["error"]["code"] == "not_found"
    assert api.call("DELETE", "/api/v1/connections").get_json()["error"]["code"] == "method_not_allowed"


def test_cors_is_off_unless_origins_are_listed(api, make_app):
    plain = api.get("/api/v1/connections", headers={"Origin": "https://ops.example"})
    listed = make_app(API_CORS_ORIGINS="https://ops.example", API_TASK_SENDER=lambda *a: None).test_client()
    key = {"Authorization": f"Bearer {api.keys['a-read']}"}
    allowed = listed.get("/api/v1/connections", headers={**key, "Origin": "https://ops.example"})
    other = listed.get("/api/v1/connections", headers={**key, "Origin": "https://evil.example"})

    assert not [h for h in plain.headers.keys() if h.startswith("Access-Control-")]
    assert allowed.headers["Access-Control-Allow-Origin"] == "https://ops.example"
    assert not [h for h in other.headers.keys() if h.startswith("Access-Control-")]


def test_the_webhook_receiver_keeps_its_own_answers(api):
    answer = api.client.get("/nowhere")

    assert answer.status_code == 404 and "X-Frame-Options" not in answer.headers


@pytest.mark.parametrize("route", [r for r in ROUTES if r.method == "GET"], ids=_route_id)
def test_no_token_or_secret_is_in_any_answer(api, route):
    from metasync.store.documents import MetaConnection

    encrypted = MetaConnection.objects.get(id=api.seeded["a"].connection_id).access_token_encrypted
    secrets = [*NEVER_SHOWN, TOKEN, encrypted, os.environ.get("TOKEN_ENCRYPTION_KEY", ""), *api.keys.values()]

    for key in ("a-write", "admin"):
        text = api.get(path_of(route, api.seeded["a"]), key=key).get_data(as_text=True)
        assert not [s for s in filter(None, secrets) if s in text]
