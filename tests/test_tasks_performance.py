"""Performance tasks: `sync_performance` (locked, retried, idempotent) and the `sync_all_performance` fan-out."""

from __future__ import annotations

from datetime import timedelta

import pytest

from metasync.connections.registry import upsert_connection
from metasync.graph.client import default_client
from metasync.infra.locks import connection_lock
from metasync.performance.dates import local_today
from metasync.store.documents import MetaConnection, PerformanceSnapshot, SyncRun
from tasks.performance import sync_all_performance, sync_performance
from tests.graph_fakes import GRAPH, TZ, error_body, insight_row

pytestmark = pytest.mark.services


@pytest.fixture
def insights(insights):
    """A campaign row for yesterday."""
    insights.add("campaign", [insight_row("campaign", ("1",), local_today(TZ) - timedelta(days=1))])
    return insights


def test_task_without_dates_applies_the_lookback_policy(connection, insights):
    result = sync_performance.apply(args=[str(connection.id)]).get()

    assert result["lookback"] is True and result["campaigns"] == 1
    assert SyncRun.objects.get(kind="PERFORMANCE").trigger == "task"


def test_task_with_a_preset_pulls_those_days(connection, insights):
    result = sync_performance.apply(args=[str(connection.id)], kwargs={"date_preset": "yesterday"}).get()

    yesterday = str(local_today(TZ) - timedelta(days=1))
    assert (result["since"], result["until"], result["lookback"]) == (yesterday, yesterday, False)
    assert PerformanceSnapshot.objects.count() == 1


def test_task_with_a_range_pulls_those_days(connection, insights):
    result = sync_performance.apply(
        args=[str(connection.id)], kwargs={"since": "2026-01-01", "until": "2026-01-03"}
    ).get()

    assert (result["since"], result["until"]) == ("2026-01-01", "2026-01-03")


def test_task_with_invalid_dates_fails_without_any_call_or_retry(connection, graph):
    outcome = sync_performance.apply(args=[str(connection.id)], kwargs={"date_preset": "last_8d"})

    assert outcome.state == "FAILURE" and "unknown date preset" in str(outcome.result)
    assert len(graph.calls) == 0


def test_task_is_skipped_while_another_performance_sync_runs(connection, graph):
    with connection_lock(str(connection.id), "performance"):
        result = sync_performance.apply(args=[str(connection.id)]).get()

    assert result["skipped"] == "locked" and len(graph.calls) == 0


def test_task_skips_expired_and_missing_connections(connection, graph):
    connection.mark("EXPIRED", "token expired")

    assert sync_performance.apply(args=[str(connection.id)]).get()["skipped"] == "expired"
    assert sync_performance.apply(args=["0123456789abcdef01234567"]).get()["skipped"] == "not_found"
    assert len(graph.calls) == 0


@pytest.fixture
def retries(task_retries):
    return task_retries(sync_performance)


def test_transient_failure_schedules_a_retry(connection, graph, retries):
    graph.add("GET", f"{GRAPH}/act_123", json=error_body(2, "Service unavailable"), status=503)

    outcome = sync_performance.apply(args=[str(connection.id)])

    assert outcome.state == "RETRY" and len(retries) == 1
    assert SyncRun.objects.get(kind="PERFORMANCE").status == "FAILED"


def test_gives_up_after_max_retries(connection, graph, retries):
    graph.add("GET", f"{GRAPH}/act_123", json=error_body(2, "Service unavailable"), status=503)

    outcome = sync_performance.apply(args=[str(connection.id)], retries=5)

    assert outcome.state == "FAILURE" and not retries


def test_rejected_token_is_not_retried_and_marks_the_connection(connection, graph):
    graph.add("GET", f"{GRAPH}/act_123", json=error_body(190, "Error validating access token", 463), status=400)

    outcome = sync_performance.apply(args=[str(connection.id)])

    assert outcome.state == "SUCCESS" and "re-authenticate" in outcome.result["failed"]
    assert MetaConnection.objects.get(id=connection.id).status == "EXPIRED"


@pytest.fixture
def enqueued(monkeypatch):
    calls: list[dict] = []

    def capture(args, kwargs=None, countdown=0, expires=None):
        calls.append({"connection_id": args[0], "countdown": countdown, "expires": expires})

    monkeypatch.setattr(sync_performance, "apply_async", capture)
    return calls


def test_fan_out_enqueues_one_task_per_active_connection_spread_over_the_interval(mongo, redis_client, enqueued):
    first, _ = upsert_connection("t1", "act_1", "EAAone")
    second, _ = upsert_connection("t2", "act_2", "EAAtwo")
    expired, _ = upsert_connection("t3", "act_3", "EAAthree")
    expired.mark("EXPIRED", "token expired")
    disabled, _ = upsert_connection("t4", "act_4", "EAAfour")
    disabled.mark("DISABLED")
    paused, _ = upsert_connection("t5", "act_5", "EAAfive")
    default_client().limiter.pause_account("act_5", 600, "usage at 95%")

    result = sync_all_performance.apply().get()

    assert result["enqueued"] == 2
    assert result["skipped"] == {"expired": 1, "disabled": 1, "account_inactive": 0, "paused": 1}
    assert [c["connection_id"] for c in enqueued] == [str(first.id), str(second.id)]
    # 60-minute interval, spread over 80% of it: the second starts about halfway through that window
    assert enqueued[0]["countdown"] < 30 and 1400 <= enqueued[1]["countdown"] <= 1470
    assert all(c["expires"] > c["countdown"] for c in enqueued)


def test_fan_out_with_no_connections_enqueues_nothing(mongo, redis_client, enqueued):
    assert sync_all_performance.apply().get()["enqueued"] == 0
    assert enqueued == []
