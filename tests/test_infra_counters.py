"""Shared counters in Redis: labelled totals and hour buckets, the same for every process."""

from __future__ import annotations

import pytest

from metasync.infra.counters import count, hourly, parse_labels, summed, totals

pytestmark = pytest.mark.services

HOUR = 1_800_000_000 - 1_800_000_000 % 3600


def test_counts_add_up_per_label_set_and_per_hour(redis_client):
    count("graph_calls", now=HOUR + 10, edge="campaigns", outcome="ok")
    count("graph_calls", 2, now=HOUR + 20, edge="campaigns", outcome="ok")
    count("graph_calls", now=HOUR + 3600, outcome="error", edge="ads")

    assert totals("graph_calls") == {"edge=campaigns,outcome=ok": 3.0, "edge=ads,outcome=error": 1.0}
    buckets = hourly("graph_calls", hours=3, now=HOUR + 3600)
    assert [start for start, _ in buckets] == [HOUR - 3600, HOUR, HOUR + 3600]
    assert summed(buckets) == [(HOUR - 3600, 0.0), (HOUR, 3.0), (HOUR + 3600, 1.0)]
    assert summed(buckets, outcome="error") == [(HOUR - 3600, 0.0), (HOUR, 0.0), (HOUR + 3600, 1.0)]


def test_label_values_cannot_forge_other_labels():
    assert parse_labels("edge=a_b,outcome=ok") == {"edge": "a_b", "outcome": "ok"}


def test_a_separate_process_sees_the_same_counts(redis_client):
    import subprocess
    import sys

    code = "from metasync.infra.counters import count; count('webhook_deliveries', result='accepted')"
    subprocess.run([sys.executable, "-c", code], check=True, timeout=60)
    count("webhook_deliveries", result="accepted")

    assert totals("webhook_deliveries") == {"result=accepted": 2.0}
