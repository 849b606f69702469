"""Scheduled maintenance tasks: the fan-out round never runs twice at once and is never retried; the token renewal
round runs once at a time and is retried while MongoDB is away (what it renews: test_connections_tokens.py)."""

from __future__ import annotations

import json
import threading
from datetime import datetime

import pytest
from pymongo.errors import ConnectionFailure

from metasync.connections.registry import upsert_connection
from metasync.infra.clock import utcnow
from metasync.infra.locks import lock_key
from metasync.settings import get_settings
from tasks import maintenance
from tasks.maintenance import refresh_tokens, sync_all_connections
from tasks.sync import sync_connection
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


def test_second_refresh_run_at_once_does_nothing(mongo, redis_client):
    redis_client.set(lock_key("maintenance:refresh_tokens"), "other-worker", px=5000)
    assert refresh_tokens.apply().get() == {"skipped": "locked"}
