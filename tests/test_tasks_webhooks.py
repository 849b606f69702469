"""The worker side of webhooks: routing a change to every connection of the account, re-syncing one object, and
the whole path from a signed POST through a real Celery worker into MongoDB."""

from __future__ import annotations

import logging
import time

import pytest
from celery.contrib.testing.worker import start_worker
from celery.signals import worker_process_init

from metasync.celery import app as celery_app
from metasync.connections.registry import upsert_connection
from metasync.infra.locks import connection_lock
from metasync.store.documents import Ad, AdSet, Campaign, SyncRun
from metasync.webhook_events.dedupe import dedupe_key
from tasks.base import _connect_after_fork
from tasks.webhooks import route_ad_account_change, sync_entity
from tests.graph_fakes import GRAPH, ad, ad_set, campaign, error_body
from tests.helpers import queued_tasks
from tests.webhook_fakes import change, entry, envelope, signed_request

# The account node gives currency and timezone to a connection never synced before.
pytestmark = [pytest.mark.services, pytest.mark.usefixtures("account_graph")]


@pytest.fixture
def retries(task_retries):
    return task_retries(sync_entity)


def test_sync_entity_resyncs_and_lets_later_notices_through(connection, graph, redis_client):
    redis_client.set(dedupe_key("act_123", "CAMPAIGN", "1"), b"1")
    graph.add("GET", f"{GRAPH}/1", json=campaign("1"))

    result = sync_entity.apply(args=[str(connection.id), "CAMPAIGN", "1"]).get()

    assert result["campaigns_synced"] == 1
    assert redis_client.exists(dedupe_key("act_123", "CAMPAIGN", "1")) == 0


def test_sync_entity_retries_shortly_while_the_same_object_is_being_read(connection, graph, retries):
    with connection_lock(str(connection.id), "entity:1"):
        outcome = sync_entity.apply(args=[str(connection.id), "CAMPAIGN", "1"])

    assert outcome.state == "RETRY" and len(graph.calls) == 0
    assert 5 <= retries[0]["countdown"] <= 10


def test_sync_entity_is_not_blocked_by_a_running_full_sync(connection, graph):
    graph.add("GET", f"{GRAPH}/1", json=campaign("1"))
    with connection_lock(str(connection.id), "sync"):
        result = sync_entity.apply(args=[str(connection.id), "CAMPAIGN", "1"]).get()
    assert result["campaigns_synced"] == 1


def test_sync_entity_rate_limited_retries_no_sooner_than_meta_asks(connection, graph, retries):
    connection.update(set__currency="USD")
    graph.add("GET", f"{GRAPH}/1", status=400, json=error_body(17, "User request limit reached", 2446079))

    assert sync_entity.apply(args=[str(connection.id), "CAMPAIGN", "1"]).state == "RETRY"
    assert retries[0]["countdown"] >= 300


def test_sync_entity_drops_malformed_messages(connection):
    assert sync_entity.apply(args=[str(connection.id), "CREATIVE", "1"]).get()["skipped"] == "invalid"
    assert sync_entity.apply(args=[str(connection.id), "AD", "x1"]).get()["skipped"] == "invalid"


def test_route_enqueues_sync_entity_for_every_connection_of_the_account(connection, redis_client):
    other_tenant, _ = upsert_connection("tenant-b", "act_123", "EAAother")
    expired, _ = upsert_connection("tenant-c", "act_123", "EAAexpired")
    expired.mark("EXPIRED", "token expired")
    upsert_connection("tenant-d", "act_456", "EAAelsewhere")

    route_ad_account_change.apply(args=["act_123", "AD", "5"]).get()

    assert queued_tasks(redis_client) == [
        ("sync_entity", [str(connection.id), "AD", "5"]),
        ("sync_entity", [str(other_tenant.id), "AD", "5"]),
    ]


def test_route_for_an_account_without_connections_logs_a_warning(shared_db, redis_client, caplog):
    route_ad_account_change.apply(args=["act_999", "AD", "5"]).get()

    assert queued_tasks(redis_client) == []
    warning = next(r for r in caplog.records if getattr(r, "event", None) == "webhook_unknown_account")
    assert warning.levelno == logging.WARNING and warning.ad_account_id == "act_999"


def test_sync_entity_gives_up_after_max_retries(connection, graph, retries):
    connection.update(set__currency="USD")
    graph.add("GET", f"{GRAPH}/1", status=503, json=error_body(2, "Service unavailable"))

    outcome = sync_entity.apply(args=[str(connection.id), "CAMPAIGN", "1"], retries=5)

    assert outcome.state == "FAILURE" and not retries


@pytest.fixture
def in_thread_worker():
    """A real Celery worker consuming the test broker from a thread of this process, so `responses` answers its
    Graph calls. The solo pool sends worker_process_init as if it had forked; nothing forked here, and reconnecting
    would close the test's MongoDB client, so that receiver sits this one out."""
    worker_process_init.disconnect(_connect_after_fork)
    try:
        with start_worker(
            celery_app, pool="solo", perform_ping_check=False, loglevel="WARNING", shutdown_timeout=10
        ) as worker:
            yield worker
    finally:
        worker_process_init.connect(_connect_after_fork)


def test_signed_post_updates_mongodb_through_a_real_worker(
    connection,
    graph,
    make_app,  # noqa: F811
    in_thread_worker,
):
    graph.add("GET", f"{GRAPH}/55", json=campaign("55", name="Renamed in Ads Manager"))
    graph.add("GET", f"{GRAPH}/66", json=ad("66", "77", "55"))
    graph.add("GET", f"{GRAPH}/77", json=ad_set("77", "55"))
    body = envelope(entry("123", change("55", "CAMPAIGN"), change("66", "AD", field="with_issues_ad_objects")))

    response = make_app().test_client().post("/webhooks/meta", **signed_request(body))
    assert response.get_json()["enqueued"] == 2
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline and SyncRun.objects(kind="ENTITY", status="SUCCESS").count() < 2:
        time.sleep(0.1)

    assert Campaign.objects.get(meta_id="55").name == "Renamed in Ads Manager"
    assert Ad.objects.get(meta_id="66").ad_set_id == "77"
    assert AdSet.objects.get(meta_id="77").tenant_id == "tenant-a"
    assert SyncRun.objects(kind="ENTITY", status="SUCCESS").count() == 2
