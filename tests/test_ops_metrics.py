"""The `/metrics` collector on its own: a store that does not answer leaves out only its own families."""

from __future__ import annotations

import os

import pytest
import redis
from prometheus_client import CollectorRegistry, generate_latest

from metasync.ops.metrics import MetasyncCollector, MetricsSources
from tests.helpers import QUEUE
from tests.webhook_fakes import dead_port

pytestmark = pytest.mark.services


def _families(redis_url: str) -> dict[str, list]:
    registry = CollectorRegistry(auto_describe=False)
    registry.register(
        MetasyncCollector(MetricsSources(redis.Redis.from_url(redis_url), os.environ["REDIS_URL"], (QUEUE,), 0.5))
    )
    return {family.name: family.samples for family in registry.collect()}


def test_a_dead_redis_leaves_out_the_counters_and_keeps_mongodb_and_the_broker(connection):
    families = _families(f"redis://127.0.0.1:{dead_port()}/0")

    up = {s.labels["source"]: s.value for s in families["metasync_metrics_source_up"]}
    assert up == {"redis": 0, "mongodb": 1, "broker": 1}
    assert "metasync_runs" not in families and "metasync_graph_calls" not in families
    assert [s.value for s in families["metasync_connections"] if s.labels["status"] == "ACTIVE"] == [1]
    assert [s.value for s in families["metasync_queue_messages"]] == [0]


def test_every_family_is_described_even_before_anything_was_counted(shared_db, redis_client):
    registry = CollectorRegistry(auto_describe=False)
    registry.register(MetasyncCollector(MetricsSources(redis_client, os.environ["REDIS_URL"], (QUEUE,), 0.5)))
    text = generate_latest(registry).decode()

    for family in (
        "metasync_runs_total counter",
        "metasync_run_duration_seconds histogram",
        "metasync_graph_calls_total counter",
        "metasync_rate_limit_wait_seconds_total counter",
        "metasync_account_pauses_total counter",
        "metasync_webhook_deliveries_total counter",
        "metasync_queue_messages gauge",
        "metasync_changes gauge",
        "metasync_report_pulls_total counter",
        "metasync_sync_age_seconds gauge",
        "metasync_connections gauge",
    ):
        assert f"# TYPE {family}" in text
