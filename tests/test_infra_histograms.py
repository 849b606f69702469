"""Shared histograms: observations from any process rebuild one cumulative Prometheus histogram."""

from __future__ import annotations

import pytest

from metasync.infra.histograms import histograms, observe

pytestmark = pytest.mark.services


def test_observations_add_up_to_cumulative_buckets_and_a_sum_per_label_set(redis_client):
    for seconds in (0.5, 3, 3, 40, 7200):
        observe("run_duration_seconds", seconds, (1, 5, 60), kind="ENTITIES")
    observe("run_duration_seconds", 2, (1, 5, 60), kind="PERFORMANCE")

    found = histograms("run_duration_seconds", (1, 5, 60))

    assert found[(("kind", "ENTITIES"),)] == ([("1", 1.0), ("5", 3.0), ("60", 4.0), ("+Inf", 5.0)], 7246.5)
    assert found[(("kind", "PERFORMANCE"),)] == ([("1", 0.0), ("5", 1.0), ("60", 1.0), ("+Inf", 1.0)], 2.0)
