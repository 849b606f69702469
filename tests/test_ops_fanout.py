"""Fan-out: exactly the connections that may sync get one task each (ids only), spread over the interval."""

from __future__ import annotations

import base64
import json
import logging
import random

import pytest

from metasync.celery import app
from metasync.connections.registry import upsert_connection
from metasync.graph.client import default_client
from metasync.ops.fanout import MAX_JITTER_SECONDS, SPREAD_SHARE, fan_out, max_countdown_seconds, spread_countdowns
from tasks.sync import sync_connection


@pytest.fixture
def enqueued(monkeypatch):
    """What `sync_connection.apply_async` was asked to send, instead of sending it."""
    calls: list[dict] = []

    def record(args=None, kwargs=None, **options):
        calls.append({"args": args, "kwargs": kwargs, **options})

    monkeypatch.setattr(sync_connection, "apply_async", record)
    return calls


@pytest.fixture
def connections(mongo, redis_client):
    """Two active, one in ERROR (may sync: it recovers on success), one expired, one disabled, one paused."""
    made = {}
    for name, account in [
        ("active1", "act_1"),
        ("active2", "act_2"),
        ("error", "act_3"),
        ("expired", "act_4"),
        ("disabled", "act_5"),
        ("paused", "act_6"),
    ]:
        made[name], _ = upsert_connection(f"tenant-{name}", account, f"EAAtoken{name}")
    made["error"].mark("ERROR", "permission denied")
    made["expired"].mark("EXPIRED", "token expired")
    made["disabled"].mark("DISABLED")
    default_client().limiter.pause_account("act_6", 600, "usage at 97%")
    return {name: str(c.id) for name, c in made.items()}


@pytest.mark.services
def test_fan_out_enqueues_each_connection_that_may_sync_exactly_once(connections, enqueued):
    summary = fan_out(sync_connection, 3600, rng=random.Random(1))

    ids = [call["args"][0] for call in enqueued]
    assert sorted(ids) == sorted([connections["active1"], connections["active2"], connections["error"]])
    assert all(call["args"] == [call["args"][0]] and call["kwargs"] == {} for call in enqueued)  # ids only
    assert summary["enqueued"] == 3
    assert summary["skipped"] == {"expired": 1, "disabled": 1, "account_inactive": 0, "paused": 1}


@pytest.mark.services
def test_countdowns_are_spread_over_the_interval(connections, enqueued):
    fan_out(sync_connection, 3600, rng=random.Random(2))

    countdowns = [call["countdown"] for call in enqueued]
    slot = 3600 * SPREAD_SHARE / 3
    assert countdowns == sorted(countdowns)
    for index, countdown in enumerate(countdowns):
        assert index * slot <= countdown <= index * slot + MAX_JITTER_SECONDS
    # A task still waiting when the next round comes is dropped by the broker.
    assert all(call["expires"] == pytest.approx(call["countdown"] + 3600) for call in enqueued)


@pytest.mark.services
def test_fan_out_passes_the_same_kwargs_to_every_task(connections, enqueued):
    fan_out(sync_connection, 600, {"performance": True})
    assert [call["kwargs"] for call in enqueued] == [{"performance": True}] * 3


@pytest.mark.parametrize("count,window", [(1, 100.0), (3, 2880.0), (1000, 2880.0), (7, 0.0)])
def test_spread_is_even_with_jitter_smaller_than_half_a_slot(count, window):
    countdowns = spread_countdowns(count, window, random.Random(3))

    slot = window / count
    assert len(countdowns) == count
    for index, countdown in enumerate(countdowns):
        assert index * slot <= countdown <= index * slot + min(slot / 2, MAX_JITTER_SECONDS) + 1e-3
    assert countdowns == sorted(countdowns)


def test_a_thousand_connections_never_start_in_the_same_second():
    countdowns = spread_countdowns(1000, 3600 * SPREAD_SHARE)
    per_second: dict[int, int] = {}
    for countdown in countdowns:
        per_second[int(countdown)] = per_second.get(int(countdown), 0) + 1
    assert max(per_second.values()) <= 2
    assert max(countdowns) < 3600 * SPREAD_SHARE


@pytest.mark.services
def test_countdowns_stay_inside_the_broker_visibility_timeout(connections, enqueued):
    """A delayed task the broker hands out again (visibility timeout) would run twice: a long interval is cut."""
    fan_out(sync_connection, 24 * 3600)

    visibility = app.conf.broker_transport_options["visibility_timeout"]
    latest = max(call["countdown"] for call in enqueued)
    assert latest + app.conf.task_time_limit < visibility
    assert max_countdown_seconds(app.conf) + app.conf.task_time_limit < visibility


@pytest.mark.services
def test_each_skipped_connection_is_logged_with_its_reason(connections, enqueued, caplog):
    with caplog.at_level(logging.INFO, logger="metasync.ops.fanout"):
        fan_out(sync_connection, 3600)

    skipped = {r.connection_id: r.reason for r in caplog.records if getattr(r, "event", "") == "fanout_skipped"}
    assert skipped == {
        connections["expired"]: "expired",
        connections["disabled"]: "disabled",
        connections["paused"]: "rate_limited",
    }
    finished = [r for r in caplog.records if getattr(r, "event", "") == "fanout_finished"]
    assert finished[0].enqueued == 3 and finished[0].skipped_paused == 1


@pytest.mark.services
def test_no_connections_enqueues_nothing(mongo, redis_client, enqueued):
    assert fan_out(sync_connection, 3600)["enqueued"] == 0
    assert enqueued == []


@pytest.mark.services
def test_messages_on_the_real_broker_carry_only_the_id_as_json(connections, redis_client):
    summary = fan_out(sync_connection, 600)

    queue = app.conf.task_default_queue
    raw = redis_client.lrange(queue, 0, -1)
    assert len(raw) == summary["enqueued"] == 3
    sent = []
    for message in raw:
        envelope = json.loads(message)
        assert envelope["content-type"] == "application/json"
        headers = envelope["headers"]
        assert headers["task"] == "sync_connection" and headers["eta"] and headers["expires"]
        args, kwargs, _ = json.loads(base64.b64decode(envelope["body"]))
        assert kwargs == {} and len(args) == 1
        sent.append(args[0])
    assert sorted(sent) == sorted([connections["active1"], connections["active2"], connections["error"]])
