"""What the write-back tests share: a simulated account synced into the test database, objects picked from its
world, and applying requests through the real path."""

from __future__ import annotations

import pytest

from metasync.simulator import SimConfig, SimulatorServer
from tests.helpers import TOKEN

CONFIG = SimConfig(campaigns=8, ad_sets_per_campaign=2, ads_per_ad_set=2, days=10, seed=7, today="2026-03-15")
TENANT = "tenant-a"


def simulator_fixture(config: SimConfig = CONFIG):
    """A fresh simulator per test (writes change its world), the Graph URL pointed at it."""

    @pytest.fixture
    def sim(mongo, redis_client, settings_env):
        with SimulatorServer(config.replace()) as server:
            settings_env(META_GRAPH_URL=server.base_url)
            yield server

    return sim


def synced_connection_fixture():
    """The simulated account's connection for TENANT, fully synced once."""

    @pytest.fixture
    def conn(sim, shared_db):
        from metasync.connections.registry import upsert_connection
        from metasync.ops.connection_sync import sync_connection_data

        connection, _ = upsert_connection(TENANT, sim.config.account_id, TOKEN)
        sync_connection_data(connection, trigger="cli")
        connection.reload()
        return connection

    return conn


def objects(sim, kind: str, account: int = 0) -> list[dict]:
    return sim.world.accounts[account]["_lists"][kind]


def active(sim, kind: str, **wanted) -> dict:
    """The first ACTIVE object of a kind whose fields match `wanted` (a callable tests the value)."""
    for obj in objects(sim, kind):
        if obj["configured_status"] != "ACTIVE" or obj["effective_status"] != "ACTIVE":
            continue
        if all(value(obj.get(key)) if callable(value) else obj.get(key) == value for key, value in wanted.items()):
            return obj
    raise AssertionError(f"no active {kind} with {wanted}")


def budget_adset(sim) -> dict:
    """An active ad set that holds a daily budget itself (its campaign does not)."""
    return active(sim, "adset", daily_budget=bool)


def cbo_campaign(sim) -> dict:
    return active(sim, "campaign", _cbo=True, daily_budget=bool)


def writes(sim) -> int:
    """Graph writes the simulator has answered (batch items included)."""
    return sim.app.stats.snapshot()["by_route"].get("POST node", 0)


def apply_requests(connection, *requests, budget_rule=None, source="cli", by="tester"):
    """Save the requests as one change set and apply it; returns (result, changes reloaded, in request order)."""
    from metasync.changes.apply import apply_change_set
    from metasync.changes.submit import build_changes, save_change_set
    from metasync.store.changes import Change

    changes = build_changes(connection, list(requests), source, by)
    change_set = save_change_set(connection, changes, source, by)
    result = apply_change_set(connection, change_set.id, budget_rule=budget_rule)
    stored = {c.id: c for c in Change.objects(change_set_id=change_set.id)}
    return result, [stored[c.id] for c in changes], change_set.id
