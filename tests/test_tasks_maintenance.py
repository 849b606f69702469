"""Scheduled maintenance tasks: the fan-out round never runs twice at once; tokens are renewed before they
expire, and connections whose token cannot be renewed are marked EXPIRED with their tenant named."""

from __future__ import annotations

import json
import logging
import threading
from datetime import datetime, timedelta

import pytest
import responses
from pymongo.errors import ConnectionFailure

from metasync.connections.registry import upsert_connection
from metasync.infra.clock import as_utc, utcnow
from metasync.infra.locks import lock_key
from metasync.settings import get_settings
from metasync.store.documents import MetaConnection
from tasks import maintenance
from tasks.maintenance import refresh_tokens, sync_all_connections
from tasks.sync import sync_connection
from tests.graph_fakes import GRAPH, error_body, query_of
from tests.helpers import QUEUE, wait_until_expired

pytestmark = pytest.mark.services


# The round is locked by the task it enqueues, so any caller of the same fan-out shares the lock.
FANOUT_LOCK = lock_key("fanout:sync_connection")


@pytest.fixture
def enqueued(monkeypatch):
    """Ids `sync_connection.apply_async` was asked to send, recorded instead of sent; each call first runs
    `enqueued.hold()` (a test can make it wait, to keep a fan-out round busy)."""

    class Sent(list):
        hold = staticmethod(lambda: None)

    sent = Sent()

    def record(args=None, kwargs=None, **options):
        sent.hold()
        sent.append(args[0])

    monkeypatch.setattr(sync_connection, "apply_async", record)
    return sent


def test_two_fan_outs_at_once_only_one_enqueues(mongo, redis_client, enqueued):
    upsert_connection("t1", "act_1", "EAAone")
    results = []
    barrier = threading.Barrier(2)
    one_refused = threading.Event()
    enqueued.hold = lambda: one_refused.wait(timeout=10)  # the round holding the lock is busy until then

    def beat_tick():
        barrier.wait()
        result = sync_all_connections.apply().get()
        results.append(result)
        if result.get("locked"):
            one_refused.set()

    threads = [threading.Thread(target=beat_tick) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(r.get("locked", False) for r in results) == [False, True]
    assert len(enqueued) == 1


def test_fan_out_lock_left_by_a_crashed_worker_expires(mongo, redis_client, enqueued):
    upsert_connection("t1", "act_1", "EAAone")
    redis_client.set(FANOUT_LOCK, "crashed-worker", px=300)

    assert sync_all_connections.apply().get() == {"task": "sync_connection", "enqueued": 0, "locked": True}
    wait_until_expired(redis_client, FANOUT_LOCK)
    assert sync_all_connections.apply().get()["enqueued"] == 1
    assert not redis_client.exists(FANOUT_LOCK)


def test_a_fan_out_message_left_waiting_expires_when_the_next_round_is_due(redis_client):
    sync_all_connections.apply_async()

    (raw,) = redis_client.lrange(QUEUE, 0, -1)
    message = json.loads(raw)
    assert message["headers"]["task"] == "sync_all_connections"
    expires = datetime.fromisoformat(message["headers"]["expires"])
    interval = get_settings().meta_sync_interval_minutes * 60
    assert abs((expires - utcnow()).total_seconds() - interval) < 60


def test_a_failed_fan_out_round_is_not_retried(mongo, redis_client, monkeypatch):
    calls = []

    def mongodb_away(*args, **kwargs):
        calls.append(1)
        raise ConnectionFailure("MongoDB is away")

    monkeypatch.setattr(maintenance, "locked_fan_out", mongodb_away)

    outcome = sync_all_connections.apply()

    assert outcome.state == "FAILURE" and calls == [1]  # the next beat tick is the retry


def test_token_refresh_is_retried_three_times_while_mongodb_is_away(mongo, redis_client, monkeypatch):
    calls = []

    def mongodb_away():
        calls.append(1)
        raise ConnectionFailure("MongoDB is away")

    monkeypatch.setattr(maintenance, "refresh_expiring_tokens", mongodb_away)

    outcome = refresh_tokens.apply()

    assert outcome.state == "FAILURE" and isinstance(outcome.result, ConnectionFailure)
    assert len(calls) == 1 + 3


def _connection(tenant: str, account: str, token: str, expires_in_days: float | None):
    expires = utcnow() + timedelta(days=expires_in_days) if expires_in_days is not None else None
    connection, _ = upsert_connection(tenant, account, token, expires_at=expires)
    return connection


def _exchange(graph, answers: dict[str, tuple[int, dict]]):
    """oauth/access_token answering per `fb_exchange_token`; returns the tokens asked about."""
    asked: list[str] = []

    def callback(request):
        import json

        query = query_of(request)
        assert query["grant_type"] == "fb_exchange_token"
        asked.append(query["fb_exchange_token"])
        status, body = answers[query["fb_exchange_token"]]
        return status, {}, json.dumps(body)

    graph.add_callback("GET", f"{GRAPH}/oauth/access_token", callback=callback)
    return asked


def test_tokens_nearing_expiry_are_exchanged_and_others_left_alone(mongo, redis_client):
    soon = _connection("t-soon", "act_1", "EAAsoon", 2)
    later = _connection("t-later", "act_2", "EAAlater", 30)
    forever = _connection("t-forever", "act_3", "EAAforever", None)
    with responses.RequestsMock() as graph:
        asked = _exchange(graph, {"EAAsoon": (200, {"access_token": "EAAfresh", "token_type": "bearer",
                                                      "expires_in": 5183944})})
        summary = refresh_tokens.apply().get()

    assert asked == ["EAAsoon"]
    assert summary == {"due": 1, "refreshed": 1, "expired": 0, "failed": 0, "reauthenticate": []}
    renewed = MetaConnection.objects.get(id=soon.id)
    assert renewed.access_token == "EAAfresh" and renewed.status == "ACTIVE"
    assert as_utc(renewed.token_expires_at) > utcnow() + timedelta(days=59)
    assert MetaConnection.objects.get(id=later.id).access_token == "EAAlater"
    assert MetaConnection.objects.get(id=forever.id).access_token == "EAAforever"


def test_refused_token_marks_connection_expired_and_names_the_tenant(mongo, redis_client, caplog):
    refused = _connection("t-refused", "act_1", "EAArefused", 1)
    with responses.RequestsMock() as graph:
        _exchange(graph, {"EAArefused": (400, error_body(190, "Error validating access token", 460))})
        with caplog.at_level(logging.INFO):
            summary = refresh_tokens.apply().get()

    assert summary["expired"] == 1 and summary["reauthenticate"] == ["t-refused"]
    assert MetaConnection.objects.get(id=refused.id).status == "EXPIRED"
    expired_events = [r for r in caplog.records if getattr(r, "event", "") == "token_expired"]
    assert [(r.tenant_id, r.ad_account_id) for r in expired_events] == [("t-refused", "act_1")]
    assert any(getattr(r, "event", "") == "reauthentication_needed" and r.tenants == ["t-refused"]
               for r in caplog.records)
    assert all("EAArefused" not in r.getMessage() for r in caplog.records)


def test_token_already_expired_is_marked_without_calling_meta(mongo, redis_client):
    gone = _connection("t-gone", "act_1", "EAAgone", -1)
    with responses.RequestsMock() as graph:
        summary = refresh_tokens.apply().get()
        assert len(graph.calls) == 0

    assert summary["expired"] == 1 and summary["reauthenticate"] == ["t-gone"]
    assert MetaConnection.objects.get(id=gone.id).status == "EXPIRED"


def test_meta_outage_leaves_the_connection_for_the_next_run(mongo, redis_client):
    flaky = _connection("t-flaky", "act_1", "EAAflaky", 3)
    with responses.RequestsMock() as graph:
        _exchange(graph, {"EAAflaky": (503, error_body(2, "Service unavailable"))})
        summary = refresh_tokens.apply().get()

    assert summary["failed"] == 1 and summary["expired"] == 0 and summary["reauthenticate"] == []
    reloaded = MetaConnection.objects.get(id=flaky.id)
    assert reloaded.status == "ACTIVE" and reloaded.access_token == "EAAflaky"


def test_expired_and_disabled_connections_are_not_exchanged(mongo, redis_client):
    _connection("t-expired", "act_1", "EAAexpired", 2).mark("EXPIRED", "token expired")
    _connection("t-disabled", "act_2", "EAAdisabled", 2).mark("DISABLED")
    with responses.RequestsMock() as graph:
        summary = refresh_tokens.apply().get()
        assert len(graph.calls) == 0

    assert summary["due"] == 0 and summary["reauthenticate"] == ["t-expired"]


def test_second_refresh_run_at_once_does_nothing(mongo, redis_client):
    redis_client.set(lock_key("maintenance:refresh_tokens"), "other-worker", px=5000)
    assert refresh_tokens.apply().get() == {"skipped": "locked"}
