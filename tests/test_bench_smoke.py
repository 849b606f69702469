"""The benchmark scripts at tiny sizes (--quick), so they cannot rot: they run, print their tables and write their
result files. The figures themselves are not judged here."""

from __future__ import annotations

import json
import os
import secrets
import subprocess
import sys

import pytest

from tests.conftest import REPO

pytestmark = pytest.mark.services


def run_quick(tmp_path, *scripts: str) -> subprocess.CompletedProcess:
    """`bench/run_all.py --quick --only ...` into `tmp_path`, with its own database (dropped by the scripts) and the
    tests' Redis db (flushed by the fixture)."""
    env = {
        **os.environ,
        "PYTHONUNBUFFERED": "1",
        "METASYNC_BENCH_DB": f"metasync_bench_smoke_{secrets.token_hex(3)}",
        "METASYNC_BENCH_REDIS_DB": "15",
    }
    only = [arg for script in scripts for arg in ("--only", script)]
    return subprocess.run(
        [sys.executable, str(REPO / "bench" / "run_all.py"), "--quick", "--results-dir", str(tmp_path), *only],
        capture_output=True,
        text=True,
        timeout=120,
        stdin=subprocess.DEVNULL,
        env=env,
        cwd=REPO,
    )


def test_quick_benchmarks_run_and_write_their_results(tmp_path, redis_client):
    result = run_quick(tmp_path, "bench_sync.py", "bench_insights.py")

    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    sync_rows = [json.loads(line) for line in (tmp_path / "bench_sync.jsonl").read_text().splitlines()]
    runs = {row["run"] for row in sync_rows}
    assert {"metasync full", "metasync incremental (2nd run)", "naive (save() each, page 25)"} <= runs
    full = next(row for row in sync_rows if row["run"] == "metasync full")
    assert full["quick"] is True and full["docs"] == full["objects"] and full["calls"] == full["simulator_calls"]
    assert full["calls"] == full["min_calls"] and full["peak_rss_mb"] > 0
    assert any(row["section"] == "scaling" for row in sync_rows)

    insight_rows = [json.loads(line) for line in (tmp_path / "bench_insights.jsonl").read_text().splitlines()]
    ours = next(row for row in insight_rows if row["run"].startswith("metasync"))
    assert ours["rows"] > 0 and ours["calls"] == ours["simulator_calls"] and ours["calls_vs_per_object"] < 1

    summary = (tmp_path / "summary.md").read_text()
    assert "| run |" in summary and "Entity sync" in summary and "Insights" in summary
    assert "FerretDB" in summary or "MongoDB" in summary


def test_hot_query_benchmark_and_sync_profile_run_and_write_their_results(tmp_path, redis_client):
    result = run_quick(tmp_path, "bench_queries.py", "profile_sync.py")

    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    lines = (tmp_path / "bench_queries.jsonl").read_text().splitlines()
    queries = {row["query"]: row for row in map(json.loads, lines)}
    expected = {"status-change lookup, 500 ads", "lookback due?", "status, one connection", "webhook routing"}
    assert expected <= set(queries)
    assert all(row["after_ms"] >= 0 for row in queries.values())
    assert queries["lookback due?"]["before_ms"] > 0
    parts = {row["part"]: row for row in map(json.loads, (tmp_path / "profile_sync.jsonl").read_text().splitlines())}
    assert parts["wall time of the sync"]["seconds"] > 0
    assert parts["metasync (this process, CPU)"]["seconds"] >= 0


def test_write_benchmark_runs_and_batches_its_changes(tmp_path, redis_client):
    result = run_quick(tmp_path, "bench_writes.py")

    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    rows = [json.loads(line) for line in (tmp_path / "bench_writes.jsonl").read_text().splitlines()]
    ours = [row for row in rows if row["run"].startswith("metasync")]
    single = [row for row in rows if row["run"].startswith("one POST")]
    assert ours and single
    for batched, alone in zip(ours, single, strict=True):
        assert batched["applied"] == batched["changes"] == alone["calls"]
        assert batched["calls"] == 2  # the quick run's changes fit one read batch and one write batch


def test_quick_reports_benchmark_pulls_every_preset_near_the_page_floor(tmp_path, redis_client):
    result = run_quick(tmp_path, "bench_reports.py")

    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    rows = [json.loads(line) for line in (tmp_path / "bench_reports.jsonl").read_text().splitlines()]
    assert {row["preset"] for row in rows} == {
        "age_gender",
        "country",
        "region",
        "placement",
        "device_platform",
        "hourly",
    }
    for row in rows:
        assert row["rows"] > 0 and row["errors"] == 0 and row["calls"] == row["simulator_calls"] == row["min_calls"]
    assert "Breakdown reports" in (tmp_path / "summary.md").read_text()
