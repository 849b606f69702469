"""The `sync_connection` Celery task: idempotent, locked per connection, retried only when worth it."""

from __future__ import annotations

import pytest
import responses

from metasync.infra.locks import connection_lock, lock_key
from metasync.store.documents import Campaign, MetaConnection
from tasks.sync import sync_connection
from tests.graph_fakes import GRAPH, FakeAccount, campaign, error_body

pytestmark = pytest.mark.services


def test_task_syncs_the_connection(connection):
    with responses.RequestsMock(assert_all_requests_are_fired=False) as graph:
        FakeAccount(graph).edges["campaigns"] = [campaign("1")]
        result = sync_connection.apply(args=[str(connection.id)]).get()

    assert result["campaigns_synced"] == 1
    assert Campaign.objects(tenant_id="tenant-a").count() == 1


def test_task_is_skipped_while_another_sync_of_the_connection_runs(connection):
    with responses.RequestsMock(assert_all_requests_are_fired=False) as graph:
        with connection_lock(str(connection.id)):
            result = sync_connection.apply(args=[str(connection.id)]).get()
        assert len(graph.calls) == 0
    assert result["skipped"] == "locked"


def test_task_for_missing_or_malformed_connection_does_nothing(mongo, redis_client):
    assert sync_connection.apply(args=["0123456789abcdef01234567"]).get()["skipped"] == "not_found"
    assert sync_connection.apply(args=["not-an-id"]).get()["skipped"] == "not_found"


def test_task_skips_expired_connections(connection):
    connection.mark("EXPIRED", "token expired")
    with responses.RequestsMock(assert_all_requests_are_fired=False) as graph:
        result = sync_connection.apply(args=[str(connection.id)]).get()
        assert len(graph.calls) == 0
    assert result["skipped"] == "expired"


@pytest.fixture
def retries(task_retries):
    return task_retries(sync_connection)


def test_transient_failure_schedules_a_retry(connection, retries):
    with responses.RequestsMock(assert_all_requests_are_fired=False) as graph:
        graph.add("GET", f"{GRAPH}/act_123", json=error_body(2, "Service unavailable"), status=503)
        outcome = sync_connection.apply(args=[str(connection.id)])
        assert len(graph.calls) == 4  # in-call retries first, then a task retry minutes later

    assert outcome.state == "RETRY"
    assert len(retries) == 1 and 60 <= retries[0]["countdown"] <= 90


def test_rate_limit_retries_no_sooner_than_meta_asks(connection, retries):
    with responses.RequestsMock(assert_all_requests_are_fired=False) as graph:
        graph.add("GET", f"{GRAPH}/act_123", json=error_body(17, "User request limit reached", 2446079), status=400)
        sync_connection.apply(args=[str(connection.id)])
        assert len(graph.calls) == 1

    assert retries[0]["countdown"] >= 300


def test_database_unreachable_mid_sync_schedules_a_retry(connection, retries, monkeypatch):
    from pymongo.errors import AutoReconnect

    import tasks.sync

    def database_restarting(connection, **kwargs):
        raise AutoReconnect("127.0.0.1:27027: connection closed")

    monkeypatch.setattr(tasks.sync, "sync_connection_data", database_restarting)
    outcome = sync_connection.apply(args=[str(connection.id)])

    assert outcome.state == "RETRY"
    assert len(retries) == 1 and 60 <= retries[0]["countdown"] <= 90


def test_a_bug_is_not_retried(connection, retries, monkeypatch):
    import tasks.sync

    def broken(connection, **kwargs):
        raise KeyError("no such field")

    monkeypatch.setattr(tasks.sync, "sync_connection_data", broken)
    outcome = sync_connection.apply(args=[str(connection.id)])

    assert outcome.state == "FAILURE" and not retries


def test_gives_up_after_max_retries(connection, retries):
    with responses.RequestsMock(assert_all_requests_are_fired=False) as graph:
        graph.add("GET", f"{GRAPH}/act_123", json=error_body(2, "Service unavailable"), status=503)
        outcome = sync_connection.apply(args=[str(connection.id)], retries=5)

    assert outcome.state == "FAILURE" and not retries


def test_token_failure_is_not_retried_and_marks_connection(connection):
    with responses.RequestsMock(assert_all_requests_are_fired=False) as graph:
        graph.add("GET", f"{GRAPH}/act_123", json=error_body(190, "Error validating access token", 463), status=400)
        outcome = sync_connection.apply(args=[str(connection.id)])

    assert outcome.state == "SUCCESS"
    assert "re-authenticate" in outcome.result["failed"]
    assert MetaConnection.objects.get(id=connection.id).status == "EXPIRED"


def test_a_task_redelivered_after_its_worker_died_runs_instead_of_skipping(connection, redis_client):
    # the dead attempt's lock, under the same task id, as the killed worker child left it
    redis_client.set(lock_key(f"connection:{connection.id}:sync"), b"task:redelivered-1", px=30_000)
    with responses.RequestsMock(assert_all_requests_are_fired=False) as graph:
        FakeAccount(graph).edges["campaigns"] = [campaign("1")]
        result = sync_connection.apply(args=[str(connection.id)], task_id="redelivered-1").get()

    assert result.get("skipped") is None and result["campaigns_synced"] == 1
    assert not redis_client.exists(lock_key(f"connection:{connection.id}:sync"))
