"""The worker side of webhooks: routing a change to connections, re-syncing one object, and the whole path from
a signed POST through a real Celery worker into MongoDB."""

from __future__ import annotations

import logging
import os
import time

import pytest
import responses
from celery.contrib.testing.worker import start_worker
from celery.signals import worker_process_init

from metasync.infra import db
from metasync.celery import app as celery_app
from metasync.connections.registry import upsert_connection
from metasync.entities.spec import AD_SET, CAMPAIGN
from metasync.infra.locks import connection_lock
from metasync.store.documents import Ad, AdSet, Campaign, MetaConnection, SyncRun
from metasync.settings import get_settings
from metasync.entities.sync import upsert_payload
from metasync.runs.lifecycle import SyncFailed
from metasync.entities.refresh import (
    sync_ad_from_webhook,
    sync_campaign_from_webhook,
    sync_entity_from_webhook,
)
from tasks.base import _connect_after_fork
from tasks.webhooks import route_ad_account_change, sync_entity
from tests.graph_fakes import GRAPH, FakeAccount, ad, ad_set, campaign, error_body, query_of
from tests.test_webhooks import change, entry, envelope, make_app, queued_tasks, signed_request  # noqa: F401
from metasync.webhook_events.dedupe import dedupe_key


@pytest.fixture
def shared_db(mongo):
    """Tell `metasync.infra.db` that mongoengine is already connected (by the `mongo` fixture) to the test database, so
    task code calling `db.connect()` reuses that connection instead of closing it."""
    db._connected_pid, db._connected_uri = os.getpid(), get_settings().mongodb_uri
    return mongo


@pytest.fixture
def connection(shared_db, redis_client):
    conn, _ = upsert_connection("tenant-a", "act_123", "EAAtoken", user_id="42")
    return conn


@pytest.fixture
def graph():
    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        FakeAccount(rsps)  # the account node: currency and timezone for a connection never synced before
        yield rsps


def node_calls(graph) -> list[str]:
    return [call.request.path_url.split("?")[0].rsplit("/", 1)[1] for call in graph.calls
            if "act_" not in call.request.path_url]


# --- plain functions -----------------------------------------------------------------------------------------------
def test_campaign_webhook_stores_the_campaign_through_the_entity_mapping(connection, graph):
    graph.add("GET", f"{GRAPH}/1", json=campaign("1", name="Spring sale", daily_budget="5000"))

    result = sync_campaign_from_webhook(connection, "1")

    stored = Campaign.objects.get(tenant_id="tenant-a", meta_id="1")
    assert (stored.name, stored.daily_budget, stored.currency, stored.status) == ("Spring sale", 5000, "USD", "ACTIVE")
    assert query_of(graph.calls[-1].request)["fields"] == CAMPAIGN.fields_param()
    assert result["campaigns_synced"] == 1
    run = SyncRun.objects.get(connection=connection.id)
    assert (run.kind, run.trigger, run.status, run.api_calls) == ("ENTITY", "webhook", "SUCCESS", 2)


def test_ad_webhook_also_reads_the_parents_missing_locally(connection, graph):
    graph.add("GET", f"{GRAPH}/3", json=ad("3", "2", "1"))
    graph.add("GET", f"{GRAPH}/2", json=ad_set("2", "1"))
    graph.add("GET", f"{GRAPH}/1", json=campaign("1"))

    result = sync_ad_from_webhook(connection, "3")

    assert node_calls(graph) == ["3", "2", "1"]
    assert (result["ads_synced"], result["ad_sets_synced"], result["campaigns_synced"]) == (1, 1, 1)
    assert Ad.objects.get(meta_id="3").ad_set_id == "2"
    assert AdSet.objects.get(meta_id="2").campaign_id == "1"


def test_parents_already_stored_are_not_read_again(connection, graph):
    connection.currency = "USD"
    upsert_payload(CAMPAIGN, campaign("1"), connection)
    upsert_payload(AD_SET, ad_set("2", "1"), connection)
    graph.add("GET", f"{GRAPH}/3", json=ad("3", "2", "1", name="New copy"))

    sync_ad_from_webhook(connection, "3")

    assert node_calls(graph) == ["3"]
    assert Ad.objects.get(meta_id="3").name == "New copy"


def test_object_deleted_in_meta_is_marked_deleted(connection, graph):
    connection.currency = "USD"
    upsert_payload(CAMPAIGN, campaign("1"), connection)
    graph.add("GET", f"{GRAPH}/1", status=400, json=error_body(
        100, "Unsupported get request. Object with ID '1' does not exist", subcode=33))

    result = sync_campaign_from_webhook(connection, "1")

    stored = Campaign.objects.get(meta_id="1")
    assert (stored.status, stored.missing_from_meta, result["marked_deleted"]) == ("DELETED", True, 1)


def test_deleted_object_never_stored_leaves_no_placeholder(connection, graph):
    graph.add("GET", f"{GRAPH}/1", status=400, json=error_body(100, "does not exist", subcode=33))

    assert sync_campaign_from_webhook(connection, "1")["marked_deleted"] == 0
    assert Campaign.objects.count() == 0


def test_object_of_another_ad_account_is_not_stored(connection, graph):
    graph.add("GET", f"{GRAPH}/1", json=campaign("1", account_id="999"))

    assert sync_campaign_from_webhook(connection, "1")["skipped_foreign"] == 1
    assert Campaign.objects.count() == 0


def test_rejected_token_marks_the_connection_expired(connection, graph):
    connection.currency = "USD"
    graph.add("GET", f"{GRAPH}/1", status=400, json=error_body(190, "Error validating access token", 463))

    with pytest.raises(SyncFailed, match="re-authenticate"):
        sync_campaign_from_webhook(connection, "1")

    assert MetaConnection.objects.get(id=connection.id).status == "EXPIRED"
    assert SyncRun.objects.get(connection=connection.id).status == "FAILED"


def test_unknown_level_is_refused(connection):
    with pytest.raises(ValueError, match="CREATIVE"):
        sync_entity_from_webhook(connection, "CREATIVE", "1")


# --- tasks ---------------------------------------------------------------------------------------------------------
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

    assert queued_tasks(redis_client) == [("sync_entity", [str(connection.id), "AD", "5"]),
                                          ("sync_entity", [str(other_tenant.id), "AD", "5"])]


def test_route_for_an_account_without_connections_logs_a_warning(shared_db, redis_client, caplog):
    route_ad_account_change.apply(args=["act_999", "AD", "5"]).get()

    assert queued_tasks(redis_client) == []
    warning = next(r for r in caplog.records if getattr(r, "event", None) == "webhook_unknown_account")
    assert warning.levelno == logging.WARNING and warning.ad_account_id == "act_999"


def test_tasks_declare_their_policy():
    assert (sync_entity.name, sync_entity.acks_late, sync_entity.max_retries) == ("sync_entity", True, 5)
    assert (route_ad_account_change.name, route_ad_account_change.acks_late) == ("route_ad_account_change", True)
    assert {"sync_entity", "route_ad_account_change"} <= set(celery_app.tasks)


# --- end to end ----------------------------------------------------------------------------------------------------
@pytest.fixture
def in_thread_worker():
    """A real Celery worker consuming the test broker from a thread of this process, so `responses` answers its
    Graph calls. The solo pool sends worker_process_init as if it had forked; nothing forked here, and reconnecting
    would close the test's MongoDB client, so that receiver sits this one out."""
    worker_process_init.disconnect(_connect_after_fork)
    try:
        with start_worker(celery_app, pool="solo", perform_ping_check=False, loglevel="WARNING",
                          shutdown_timeout=10) as worker:
            yield worker
    finally:
        worker_process_init.connect(_connect_after_fork)


def test_signed_post_updates_mongodb_through_a_real_worker(connection, graph, make_app,  # noqa: F811
                                                           in_thread_worker):
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
