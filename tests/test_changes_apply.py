"""Applying changes against the simulator: read-after-write into the stored documents, conflicts, idempotent
re-applies, partial batch failures, the hourly budget-change rule, a crash mid-apply, isolation, no secrets."""

from __future__ import annotations

import json
import logging
import time

import pytest
import requests

from metasync.changes import apply as apply_module
from metasync.changes.apply import apply_change_set
from metasync.changes.budget_rule import BudgetChangeRule
from metasync.changes.submit import ObjectRequest
from metasync.store.changes import Change
from metasync.store.documents import AdSet, Campaign
from tests.changes_helpers import (
    CONFIG,
    TENANT,
    active,
    apply_requests,
    budget_adset,
    simulator_fixture,
    synced_connection_fixture,
    writes,
)
from tests.helpers import NEVER_SHOWN, TOKEN

pytestmark = pytest.mark.services

sim = simulator_fixture()
conn = synced_connection_fixture()


class FakeClock:
    def __init__(self) -> None:
        self.now = time.time()

    def __call__(self) -> float:
        return self.now


def test_pause_and_budget_are_applied_in_one_batch_and_the_documents_show_meta(sim, conn):
    campaign = active(sim, "campaign")
    adset = budget_adset(sim)
    old_budget = int(adset["daily_budget"])
    result, changes, _ = apply_requests(
        conn,
        ObjectRequest("campaign", campaign["id"], {"status": "PAUSED", "name": "Spring sale (paused)"}),
        ObjectRequest("adset", adset["id"], {"daily_budget": "75.00"}),
    )
    assert [c.status for c in changes] == ["APPLIED", "APPLIED", "APPLIED"]
    assert result["api_calls"] == 2  # one batched read, one batched write that answered the objects back
    assert sim.world.objects[campaign["id"]]["configured_status"] == "PAUSED"
    assert sim.world.objects[adset["id"]]["daily_budget"] == "7500"
    stored = Campaign.objects(id=f"{TENANT}:{campaign['id']}").first()
    assert (stored.configured_status, stored.name) == ("PAUSED", "Spring sale (paused)")
    assert AdSet.objects(id=f"{TENANT}:{adset['id']}").first().daily_budget == 7500
    budget = changes[2]
    assert (budget.before, budget.requested, budget.after) == (old_budget, 7500, 7500)
    assert budget.history[-1]["status"] == "APPLIED" and budget.applied_at is not None


def test_a_change_made_in_ads_manager_since_the_sync_is_a_conflict_unless_forced(sim, conn):
    campaign = active(sim, "campaign")
    requests.post(sim.url("/__sim/mutate"), json={"action": "rename", "id": campaign["id"], "name": "Renamed by hand"})
    _, [change], _ = apply_requests(conn, ObjectRequest("campaign", campaign["id"], {"name": "Ours"}))
    assert change.status == "CONFLICT"
    assert "Meta holds 'Renamed by hand'" in change.reason
    assert sim.world.objects[campaign["id"]]["name"] == "Renamed by hand"
    _, [forced], _ = apply_requests(conn, ObjectRequest("campaign", campaign["id"], {"name": "Ours"}, force=True))
    assert forced.status == "APPLIED" and sim.world.objects[campaign["id"]]["name"] == "Ours"


def test_an_explicit_expected_value_is_checked_instead_of_the_stored_one(sim, conn):
    adset = budget_adset(sim)
    current = int(adset["daily_budget"])
    _, [wrong], _ = apply_requests(
        conn, ObjectRequest("adset", adset["id"], {"daily_budget": "90.00"}, expected={"daily_budget": "1.23"})
    )
    assert wrong.status == "CONFLICT" and wrong.expected == 123
    _, [right], _ = apply_requests(
        conn, ObjectRequest("adset", adset["id"], {"daily_budget": "90.00"}, expected={"daily_budget": current})
    )
    assert right.status == "APPLIED"


def test_the_same_change_set_applied_twice_writes_nothing_the_second_time(sim, conn):
    campaign = active(sim, "campaign")
    _, [change], set_id = apply_requests(conn, ObjectRequest("campaign", campaign["id"], {"status": "PAUSED"}))
    assert change.status == "APPLIED"
    before = writes(sim)
    again = apply_change_set(conn, set_id)
    assert again["api_calls"] == 0 and writes(sim) == before
    # A new change set asking for what Meta already holds: read, found done, nothing sent.
    _, [repeat], _ = apply_requests(conn, ObjectRequest("campaign", campaign["id"], {"status": "PAUSED"}))
    assert repeat.status == "APPLIED" and "nothing sent" in repeat.reason
    assert writes(sim) == before


def test_one_failing_write_does_not_block_the_others_in_its_batch(sim, conn):
    first, second = active_campaigns(sim)[:2]
    requests.post(
        sim.url("/__sim/faults"),
        json={"fail_writes": {"count": 1, "code": 100, "subcode": 1815000, "message": "Bad", "ids": [first["id"]]}},
    )
    _, changes, _ = apply_requests(
        conn,
        ObjectRequest("campaign", first["id"], {"name": "A"}),
        ObjectRequest("campaign", second["id"], {"name": "B"}),
    )
    failed, applied = changes
    assert (failed.status, failed.error_code, failed.error_subcode) == ("FAILED", 100, 1815000)
    assert "Meta refused it: Bad" in failed.reason
    assert applied.status == "APPLIED" and sim.world.objects[second["id"]]["name"] == "B"


def active_campaigns(sim) -> list[dict]:
    return [c for c in sim.world.accounts[0]["_lists"]["campaign"] if c["configured_status"] == "ACTIVE"]


def test_a_timed_out_batch_item_is_retried_alone(sim, conn):
    campaign = active(sim, "campaign")
    requests.post(sim.url("/__sim/faults"), json={"null_batch_items": 1})  # the read of the ad account
    result, [change], _ = apply_requests(conn, ObjectRequest("campaign", campaign["id"], {"name": "After a timeout"}))
    assert change.status == "APPLIED"
    assert result["api_calls"] == 3  # the read batch, the account read alone, the write


def test_a_fifth_budget_change_within_the_hour_is_deferred_then_applied(sim, conn, redis_client):
    adset = budget_adset(sim)
    clock = FakeClock()
    rule = BudgetChangeRule(clock=clock)
    for n in range(4):
        _, [change], _ = apply_requests(
            conn, ObjectRequest("adset", adset["id"], {"daily_budget": f"{60 + n}.00"}), budget_rule=rule
        )
        assert change.status == "APPLIED"
    sent = writes(sim)
    _, [fifth], set_id = apply_requests(
        conn, ObjectRequest("adset", adset["id"], {"daily_budget": "99.00"}), budget_rule=rule
    )
    assert fifth.status == "DEFERRED" and "4 budget changes per ad set per hour" in fifth.reason
    assert writes(sim) == sent and sim.world.objects[adset["id"]]["daily_budget"] == "6300"
    # An hour later (for metasync's rule, Meta's window and the change's own due time) it goes through.
    clock.now += 3601
    sim.app.writes.clock = lambda: time.time() + 3601
    Change.objects(id=fifth.id).update_one(set__not_before=fifth.created_at)
    apply_change_set(conn, set_id, budget_rule=rule)
    fifth.reload()
    assert fifth.status == "APPLIED" and sim.world.objects[adset["id"]]["daily_budget"] == "9900"


def test_meta_s_account_mutation_limit_defers_instead_of_retrying(sim, conn):
    first, second = active_campaigns(sim)[:2]
    requests.post(sim.url("/__sim/config"), json={"account_mutations_per_hour": 1})
    _, changes, _ = apply_requests(
        conn,
        ObjectRequest("campaign", first["id"], {"name": "one"}),
        ObjectRequest("campaign", second["id"], {"name": "two"}),
    )
    assert [c.status for c in changes] == ["APPLIED", "DEFERRED"]
    assert "code 613" in changes[1].reason and changes[1].not_before is not None
    assert writes(sim) == 2  # the refused one was not sent again


def test_a_crash_after_sending_is_resolved_by_reading_meta_not_by_resending(sim, conn, monkeypatch):
    campaign = active(sim, "campaign")

    def crash(self, written):
        raise RuntimeError("worker died")

    monkeypatch.setattr(apply_module._Run, "read_back", crash)
    with pytest.raises(RuntimeError):
        apply_requests(conn, ObjectRequest("campaign", campaign["id"], {"status": "PAUSED"}))
    [change] = Change.objects(object_id=campaign["id"])
    assert change.status == "APPLYING" and sim.world.objects[campaign["id"]]["configured_status"] == "PAUSED"
    monkeypatch.undo()
    sent = writes(sim)
    apply_change_set(conn, change.change_set_id)
    change.reload()
    assert change.status == "APPLIED" and "interrupted" in change.reason
    assert writes(sim) == sent
    assert Campaign.objects(id=f"{TENANT}:{campaign['id']}").first().configured_status == "PAUSED"


def test_a_crash_before_sending_is_planned_again_and_sent_once(sim, conn, monkeypatch):
    campaign = active(sim, "campaign")
    real_batch = apply_module.run_batch

    def dies_on_write(client, token, items, **kw):
        if items and items[0].method == "POST":
            raise RuntimeError("worker died")
        return real_batch(client, token, items, **kw)

    monkeypatch.setattr(apply_module, "run_batch", dies_on_write)
    with pytest.raises(RuntimeError):
        apply_requests(conn, ObjectRequest("campaign", campaign["id"], {"name": "Renamed later"}))
    monkeypatch.undo()
    [change] = Change.objects(object_id=campaign["id"])
    assert change.status == "APPLYING"
    apply_change_set(conn, change.change_set_id)
    change.reload()
    assert change.status == "APPLIED" and writes(sim) == 1


def test_a_change_of_another_ad_account_s_object_is_rejected(mongo, redis_client, settings_env, shared_db):
    from metasync.connections.registry import upsert_connection
    from metasync.simulator import SimulatorServer

    with SimulatorServer(CONFIG.replace(accounts=2)) as server:
        settings_env(META_GRAPH_URL=server.base_url)
        connection, _ = upsert_connection(TENANT, server.config.account_id, TOKEN)
        foreign = server.world.accounts[1]["_lists"]["campaign"][0]
        _, [change], _ = apply_requests(connection, ObjectRequest("campaign", foreign["id"], {"name": "Not mine"}))
        assert change.status == "REJECTED" and "belongs to another ad account" in change.reason
        assert server.world.objects[foreign["id"]]["name"] != "Not mine"
        assert Campaign.objects(meta_id=foreign["id"]).count() == 0


def test_a_change_through_one_tenant_leaves_another_tenant_s_documents_alone(sim, conn):
    from metasync.connections.registry import upsert_connection
    from metasync.ops.connection_sync import sync_connection_data

    other, _ = upsert_connection("tenant-b", sim.config.account_id, TOKEN)
    sync_connection_data(other, trigger="cli")
    campaign = active(sim, "campaign")
    apply_requests(conn, ObjectRequest("campaign", campaign["id"], {"name": "Tenant A's name"}))
    assert Campaign.objects(id=f"{TENANT}:{campaign['id']}").first().name == "Tenant A's name"
    assert Campaign.objects(id=f"tenant-b:{campaign['id']}").first().name != "Tenant A's name"


def test_secrets_never_reach_logs_or_change_documents(sim, conn, caplog):
    campaign = active(sim, "campaign")
    requests.post(sim.url("/__sim/faults"), json={"fail_writes": {"count": 1, "code": 100}})
    with caplog.at_level(logging.DEBUG):
        apply_requests(
            conn,
            ObjectRequest("campaign", campaign["id"], {"name": "x"}),
            ObjectRequest("adset", budget_adset(sim)["id"], {"daily_budget": "12.00"}),
        )
    logged = "\n".join(f"{r.getMessage()} {r.__dict__}" for r in caplog.records)
    stored = json.dumps([c.to_mongo().to_dict() for c in Change.objects], default=str)
    for secret in NEVER_SHOWN:
        assert secret not in logged and secret not in stored


def test_an_account_paused_by_throttling_defers_every_change_and_sends_nothing(sim, conn):
    from metasync.graph.client import default_client

    default_client().limiter.pause_account(conn.ad_account_id, 120, "Graph error code 613")
    _, [change], _ = apply_requests(conn, ObjectRequest("campaign", active(sim, "campaign")["id"], {"name": "x"}))
    assert change.status == "DEFERRED" and "RateLimitedError" in change.reason
    assert change.not_before is not None and writes(sim) == 0


def test_an_end_time_and_a_bid_amount_are_sent_and_read_back_exactly(sim, conn):
    from datetime import datetime, timezone

    from metasync.infra.clock import as_utc

    adset = budget_adset(sim)
    _, changes, _ = apply_requests(
        conn,
        ObjectRequest("adset", adset["id"], {"end_time": "2031-01-31T18:30:00-05:00", "bid_amount": "2.35"}),
    )
    end, bid = changes
    assert (end.status, as_utc(end.after)) == ("APPLIED", datetime(2031, 1, 31, 23, 30, tzinfo=timezone.utc))
    assert (bid.status, bid.after) == ("APPLIED", 235)
    stored = AdSet.objects(id=f"{TENANT}:{adset['id']}").first()
    assert stored.end_time == datetime(2031, 1, 31, 23, 30) and stored.bid_amount == 235
