"""The write-back tasks: a change set applied by id, the beat pick-up of changes an optimiser writes to MongoDB
(and of deferred or interrupted ones), and the loop write -> webhook -> targeted re-sync."""

from __future__ import annotations

import json
import queue
import threading
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest
import requests

from metasync.changes.submit import ObjectRequest, build_changes, save_change_set
from metasync.infra.clock import now_ms
from metasync.store.changes import Change
from metasync.store.documents import Campaign
from tasks.changes import apply_change_set, pick_up_changes_task
from tests.changes_helpers import TENANT, active, budget_adset, simulator_fixture, synced_connection_fixture, writes
from tests.helpers import APP_SECRET, queued_tasks

pytestmark = pytest.mark.services

sim = simulator_fixture()
conn = synced_connection_fixture()


def optimiser_writes(mongo, **doc) -> None:
    """What a user's own optimiser does: one plain document in `changes`."""
    mongo["changes"].insert_one({"status": "REQUESTED", **doc})


def test_the_task_applies_a_change_set_by_id(sim, conn):
    campaign = active(sim, "campaign")
    changes = build_changes(conn, [ObjectRequest("campaign", campaign["id"], {"status": "PAUSED"})], "task", "job")
    change_set = save_change_set(conn, changes, "task", "job")
    result = apply_change_set.apply(args=[change_set.id]).get()
    assert result["applied"] == 1 and sim.world.objects[campaign["id"]]["configured_status"] == "PAUSED"
    assert apply_change_set.apply(args=["cs-unknown"]).get() == {"change_set_id": "cs-unknown", "skipped": "not_found"}


def test_a_document_an_optimiser_writes_is_picked_up_and_applied(sim, conn, mongo, redis_client):
    adset = budget_adset(sim)
    optimiser_writes(
        mongo,
        tenant_id=TENANT,
        level="adset",
        object_id=adset["id"],
        field="daily_budget",
        requested="64.00",
        requested_by="optimiser-v2",
    )
    assert pick_up_changes_task.apply().get() == {"change_sets": 1}
    [(name, [set_id])] = queued_tasks(redis_client)
    assert name == "apply_change_set"
    change = Change.objects.get()
    assert (change.source, change.requested_by, change.connection, change.expected_from) == (
        "db",
        "optimiser-v2",
        conn.id,
        "stored",
    )
    apply_change_set.apply(args=[set_id]).get()
    change.reload()
    assert (change.status, change.requested, change.after) == ("APPLIED", 6400, 6400)
    assert sim.world.objects[adset["id"]]["daily_budget"] == "6400"
    assert pick_up_changes_task.apply().get() == {"change_sets": 0}  # nothing left to do


@pytest.mark.parametrize(
    ("doc", "reason"),
    [
        ({"level": "adset", "field": "daily_budget", "requested": 5000}, "tenant_id is missing"),
        ({"tenant_id": TENANT, "level": "page", "field": "name", "requested": "x"}, "level must be"),
        ({"tenant_id": TENANT, "level": "ad", "field": "daily_budget", "requested": 5000}, "cannot be changed on ads"),
        ({"tenant_id": "tenant-b", "level": "campaign", "field": "name", "requested": "x"}, "no connection of tenant"),
        ({"tenant_id": TENANT, "level": "campaign", "field": "name", "requested": ""}, "name needs a value"),
    ],
)
def test_a_document_that_cannot_be_applied_is_rejected_with_its_reason(sim, conn, mongo, doc, reason):
    optimiser_writes(mongo, object_id=active(sim, "campaign")["id"], **doc)
    assert pick_up_changes_task.apply().get() == {"change_sets": 0}
    change = Change.objects.get()
    assert change.status == "REJECTED" and reason in change.reason
    assert writes(sim) == 0


def test_a_document_naming_another_tenant_s_connection_is_rejected(sim, conn, mongo):
    optimiser_writes(
        mongo,
        tenant_id="tenant-b",
        connection=str(conn.id),
        level="campaign",
        object_id=active(sim, "campaign")["id"],
        field="status",
        requested="PAUSED",
    )
    pick_up_changes_task.apply().get()
    change = Change.objects.get()
    assert change.status == "REJECTED" and "is not one of tenant 'tenant-b'" in change.reason
    assert writes(sim) == 0


def test_deferred_and_interrupted_changes_are_picked_up_when_due(sim, conn, redis_client):
    campaign = active(sim, "campaign")
    changes = build_changes(conn, [ObjectRequest("campaign", campaign["id"], {"name": "Later"})], "cli", "x")
    change_set = save_change_set(conn, changes, "cli", "x")
    Change.objects(id=changes[0].id).update_one(set__status="DEFERRED", set__not_before=now_ms() + timedelta(hours=1))
    assert pick_up_changes_task.apply().get() == {"change_sets": 0}
    Change.objects(id=changes[0].id).update_one(set__not_before=now_ms() - timedelta(seconds=1))
    assert pick_up_changes_task.apply().get() == {"change_sets": 1}
    old = now_ms() - timedelta(minutes=5)
    Change.objects(id=changes[0].id).update_one(set__status="APPLYING", set__updated_at=old)
    assert pick_up_changes_task.apply().get() == {"change_sets": 1}
    assert [args for _, args in queued_tasks(redis_client)] == [[change_set.id], [change_set.id]]


class _Forward(BaseHTTPRequestHandler):
    """Stands in for the web app's address: hands each delivery (raw body and signature) to the test."""

    deliveries: queue.Queue = queue.Queue()

    def do_POST(self):  # noqa: N802
        body = self.rfile.read(int(self.headers["Content-Length"]))
        self.deliveries.put((body, self.headers["X-Hub-Signature-256"]))
        self.send_response(200)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args):
        pass


def test_write_then_webhook_then_targeted_resync_end_to_end(sim, conn, client, redis_client):
    """A write's webhook, verified by the web app, routes a re-sync that reads the object back into MongoDB."""
    from tasks.webhooks import route_ad_account_change, sync_entity

    receiver = HTTPServer(("127.0.0.1", 0), _Forward)
    threading.Thread(target=receiver.serve_forever, daemon=True).start()
    try:
        sim.config.app_secret = APP_SECRET  # deliveries are signed with the app's secret
        requests.post(sim.url("/__sim/config"), json={"webhook_url": f"http://127.0.0.1:{receiver.server_port}/"})
        campaign = active(sim, "campaign")
        changes = build_changes(conn, [ObjectRequest("campaign", campaign["id"], {"status": "PAUSED"})], "task", "x")
        apply_change_set.apply(args=[save_change_set(conn, changes, "task", "x").id]).get()
        # Someone renames it in Ads Manager meanwhile: the re-sync must bring that too.
        requests.post(sim.url("/__sim/mutate"), json={"action": "rename", "id": campaign["id"], "name": "By hand"})
        body, signature = _Forward.deliveries.get(timeout=10)
        answer = client.post(
            "/webhooks/meta", data=body, headers={"X-Hub-Signature-256": signature, "Content-Type": "application/json"}
        )
        assert answer.status_code == 200
        [(name, args)] = queued_tasks(redis_client)
        assert name == "route_ad_account_change" and args[1:] == ["CAMPAIGN", campaign["id"]]
        redis_client.delete("metasync")
        route_ad_account_change.apply(args=args).get()
        [(name, resync_args)] = queued_tasks(redis_client)
        assert name == "sync_entity"
        sync_entity.apply(args=resync_args).get()
    finally:
        receiver.shutdown()
    stored = Campaign.objects(id=f"{TENANT}:{campaign['id']}").first()
    assert (stored.configured_status, stored.name) == ("PAUSED", "By hand")
    assert json.loads(body)["entry"][0]["changes"][0]["value"]["status_name"] == "PAUSED"
