"""The HTTP API under test: an app whose task sender records messages, keys of two tenants and an admin, and seeded
data of both tenants (connections, runs, a change set, report rows) to read and to try to reach across tenants."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pytest

from metasync.access.keys import create_key
from metasync.changes.submit import ObjectRequest, build_changes, save_change_set
from metasync.connections.registry import upsert_connection
from metasync.infra.clock import now_ms
from metasync.store.documents import Campaign, SyncRun, entity_key
from metasync.store.reports import BreakdownRow
from tests.helpers import OTHER_TOKEN, TOKEN

TENANTS = ("tenant-a", "tenant-b")


@dataclass
class Seeded:
    """One tenant's seeded things: its connection, a finished run, a change set with one change, a report row."""

    tenant: str
    connection_id: str
    run_id: str
    change_set_id: str
    change_id: str
    ad_account_id: str


@dataclass
class Api:
    client: Any
    keys: dict[str, str]  # "a-write", "a-read", "b-write", "admin"
    seeded: dict[str, Seeded]
    sent: list[tuple[str, list, dict, str]] = field(default_factory=list)

    def call(self, method: str, path: str, key: str | None = "a-write", json: Any = None, **kw):
        headers = dict(kw.pop("headers", {}) or {})
        if key is not None:
            headers["Authorization"] = f"Bearer {self.keys[key]}"
        return self.client.open(path, method=method, json=json, headers=headers, **kw)

    def get(self, path: str, key: str | None = "a-write", **kw):
        return self.call("GET", path, key, **kw)

    def post(self, path: str, json: Any = None, key: str | None = "a-write", **kw):
        return self.call("POST", path, key, json=json if json is not None else {}, **kw)


def seed_tenant(tenant: str, account: str, token: str) -> Seeded:
    connection, _ = upsert_connection(tenant, account, token, user_id="42" if tenant == TENANTS[0] else "43")
    Campaign.objects(id=entity_key(tenant, "9001")).update_one(
        upsert=True,
        set__tenant_id=tenant,
        set__connection=connection.id,
        set__ad_account_id=account,
        set__meta_id="9001",
        set__name="Spring",
        set__status="ACTIVE",
    )
    run = SyncRun(
        connection=connection.id,
        tenant_id=tenant,
        ad_account_id=account,
        kind="ENTITIES",
        trigger="beat",
        status="SUCCESS",
        started_at=now_ms(),
        finished_at=now_ms(),
        counts={"campaigns_synced": 1},
    )
    run.save()
    changes = build_changes(connection, [ObjectRequest("campaign", "9001", {"status": "PAUSED"})], "api", "seed")
    change_set = save_change_set(connection, changes, "api", "seed")
    BreakdownRow(
        id=f"{tenant}:age_gender:ad:1:2026-01-01:age=25-34",
        tenant_id=tenant,
        connection=connection.id,
        ad_account_id=account,
        report="age_gender",
        entity_type="ad",
        entity_id="1",
        date="2026-01-01",
        breakdowns={"age": "25-34"},
        currency="USD",
        spend=1234,
        impressions=100,
    ).save()
    return Seeded(tenant, str(connection.id), str(run.id), change_set.id, str(changes[0].id), account)


def api_fixture(config: dict[str, Any] | None = None):
    """The `api` fixture (an `Api` on a fresh app and seeded data), its app started with `config`."""

    @pytest.fixture
    def api(make_app, shared_db, redis_client) -> Api:
        sent: list = []
        record = lambda name, args, kwargs, task_id: sent.append((name, args, kwargs, task_id))  # noqa: E731
        app = make_app(API_TASK_SENDER=record, **(config or {}))
        keys = {
            "a-write": create_key(TENANTS[0], "write")[0],
            "a-read": create_key(TENANTS[0], "read")[0],
            "b-write": create_key(TENANTS[1], "write")[0],
            "admin": create_key(None, "write", admin=True)[0],
        }
        seeded = {
            "a": seed_tenant(TENANTS[0], "act_123", TOKEN),
            "b": seed_tenant(TENANTS[1], "act_456", OTHER_TOKEN),
        }
        return Api(app.test_client(), keys, seeded, sent)

    return api


def path_of(route, seeded: Seeded) -> str:
    """The route's path with the seeded tenant's ids filled in."""
    values = {
        "connection_id": seeded.connection_id,
        "run_id": seeded.run_id,
        "change_set_id": seeded.change_set_id,
        "change_id": seeded.change_id,
        "name": "age_gender",
    }
    path = route.path
    for name in route.path_params:
        path = path.replace("{" + name + "}", values[name])
    return path
